/**
 * A HubConnection to a hub by URL and credential: GraphQL over HTTP for operations and signals,
 * graphql-ws for events, with the operations of `hub-operations.ts`. A remote Node-RED uses it with
 * an API key; the hub's own flows process with the credential the hub hands it.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { GraphQLResponse, HubConnection, HubEvent, SignalBody, SignalKind } from './hub-connection.js';
import { publishFlowEvent, SignalBatcher, type SignalBatchOptions } from './hub-operations.js';

export interface RemoteConnectionOptions extends SignalBatchOptions {
  /** The hub's base URL, e.g. `http://hub:4000` (the GraphQL endpoint is `<url>/graphql`). */
  url: string;
  /** An API key of the hub; every call runs with that key's permissions. */
  apiKey: string;
}

const HUB_EVENTS = `subscription PlantGraphHubEvents($scope: String!, $types: [String!]) { hubEvents(scope: $scope, types: $types) { subject type path data } }`;

export function createRemoteConnection(options: RemoteConnectionOptions): HubConnection {
  return new RemoteHubConnection(options);
}

export class RemoteHubConnection implements HubConnection {
  private readonly endpoint: string;
  private readonly signals: SignalBatcher;
  private ws: Client | null = null;
  private closed = false;

  constructor(private readonly options: RemoteConnectionOptions) {
    if (!/^https?:\/\//.test(options.url))
      throw new Error(`hub URL must start with http:// or https:// (got "${options.url}")`);
    if (!options.apiKey) throw new Error('an API key is required to connect to a remote hub');
    this.endpoint = `${options.url.replace(/\/+$/, '')}/graphql`;
    this.signals = new SignalBatcher((query, variables) => this.graphql(query, variables), options);
  }

  publishSignal(kind: SignalKind, path: string, body: SignalBody): Promise<void> {
    return this.signals.publish(kind, path, body);
  }

  subscribeEvents(
    scope: string,
    types: string[],
    onEvent: (event: HubEvent) => void,
    onError: (err: Error) => void,
  ): () => void {
    if (this.closed) throw new Error('the hub connection is closed');
    let ended = false;
    const unsubscribe = this.wsClient().subscribe<{
      hubEvents: { subject: string; type: string; path: string | null; data: string };
    }>(
      { query: HUB_EVENTS, variables: { scope, types: types.length ? types : null } },
      {
        next: (result) => {
          if (result.errors?.length) return fail(new Error(result.errors.map((e) => e.message).join('; ')));
          const e = result.data?.hubEvents;
          if (!e) return;
          let data: Record<string, unknown>;
          try {
            data = JSON.parse(e.data) as Record<string, unknown>;
          } catch {
            data = { raw: e.data };
          }
          onEvent({ subject: e.subject, type: e.type, path: e.path, data });
        },
        error: (err) => fail(toError(err)),
        // The hub ended it (shutdown, revoked key): the subscriber has to know to subscribe again.
        complete: () => fail(new Error('the hub ended the event subscription')),
      },
    );
    function fail(err: Error) {
      if (ended) return;
      ended = true;
      onError(err);
    }
    return () => {
      ended = true;
      unsubscribe();
    };
  }

  publishEvent(type: string, path: string, data: Record<string, unknown>): Promise<void> {
    return publishFlowEvent((query, variables) => this.graphql(query, variables), type, path, data);
  }

  async graphql(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> {
    const res = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${this.options.apiKey}`,
      },
      body: JSON.stringify({ query, variables: variables ?? {} }),
    });
    const text = await res.text();
    let body: GraphQLResponse;
    try {
      body = JSON.parse(text) as GraphQLResponse;
    } catch {
      throw new Error(`hub answered HTTP ${res.status} without GraphQL: ${text.slice(0, 200)}`);
    }
    // GraphQL-over-HTTP answers some errors with 4xx and an errors list: hand those to the caller as errors.
    if (!res.ok && !body.errors?.length) throw new Error(`hub answered HTTP ${res.status}`);
    return body;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.signals.close();
    if (this.ws) await this.ws.dispose();
    this.ws = null;
  }

  private wsClient(): Client {
    this.ws ??= createClient({
      url: this.endpoint.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.options.apiKey}` },
      lazy: true,
      // Reconnects of the socket are ours to make visible: the event-in node re-subscribes with backoff.
      retryAttempts: 0,
    });
    return this.ws;
  }
}

function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (Array.isArray(err)) return new Error(err.map((e: { message?: string }) => e.message ?? String(e)).join('; '));
  // A CloseEvent from the socket.
  if (err && typeof err === 'object' && 'code' in err) {
    const close = err as { code: number; reason?: string };
    return new Error(`hub event socket closed (${close.code}${close.reason ? `: ${close.reason}` : ''})`);
  }
  return new Error(String(err));
}
