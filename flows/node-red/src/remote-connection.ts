/**
 * A HubConnection to a hub elsewhere, by URL and API key: GraphQL over HTTP for operations and
 * signals, graphql-ws for events. Signals are batched (up to `batchSize` or `batchMs`) into one
 * `publishSignals` mutation: one round trip per burst instead of one per machine value.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { GraphQLResponse, HubConnection, HubEvent, SignalBody, SignalKind } from './hub-connection.js';

export interface RemoteConnectionOptions {
  /** The hub's base URL, e.g. `http://hub:4000` (the GraphQL endpoint is `<url>/graphql`). */
  url: string;
  /** An API key of the hub; every call runs with that key's permissions. */
  apiKey: string;
  /** Longest wait before a partial batch of signals is sent (default 20 ms). */
  batchMs?: number;
  /** Signals per `publishSignals` mutation at most (default 200). */
  batchSize?: number;
}

const ERRORS = '... on ErrorResult { code message } ... on InvalidInput { field } ... on NotFound { key }';
const PUBLISH_SIGNALS = `mutation PlantGraphPublishSignals($signals: [EquipmentSignalInput!]!) { publishSignals(signals: $signals) { __typename ... on SignalsPublished { accepted } ${ERRORS} } }`;
const HUB_EVENTS = `subscription PlantGraphHubEvents($scope: String!, $types: [String!]) { hubEvents(scope: $scope, types: $types) { subject type path data } }`;
const PUBLISH_EVENT = `mutation PlantGraphPublishFlowEvent($type: String!, $path: String!, $data: String!) { publishFlowEvent(type: $type, path: $path, data: $data) { __typename ... on FlowEventPublished { published } ${ERRORS} } }`;

/** A mutation's union result: the success type, or an ErrorResult with code and message. */
interface MutationResult { __typename: string; message?: string; field?: string; key?: string; accepted?: number; published?: boolean }

const KIND_ENUM: Record<SignalKind, string> = { state: 'State', count: 'Count', cycle: 'Cycle', value: 'Value' };
/** The fields of `EquipmentSignalInput` besides kind and path. */
const SIGNAL_FIELDS = ['source', 'sequence', 'at', 'state', 'reason', 'good', 'scrap', 'rework', 'cycleTimeMs', 'name', 'value', 'unit'];

interface Pending { signal: Record<string, unknown>; resolve(): void; reject(err: Error): void }

export function createRemoteConnection(options: RemoteConnectionOptions): HubConnection {
  return new RemoteHubConnection(options);
}

export class RemoteHubConnection implements HubConnection {
  private readonly endpoint: string;
  private readonly batchMs: number;
  private readonly batchSize: number;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = new Set<Promise<void>>();
  private ws: Client | null = null;
  private closed = false;

  constructor(private readonly options: RemoteConnectionOptions) {
    if (!/^https?:\/\//.test(options.url)) throw new Error(`hub URL must start with http:// or https:// (got "${options.url}")`);
    if (!options.apiKey) throw new Error('an API key is required to connect to a remote hub');
    this.endpoint = `${options.url.replace(/\/+$/, '')}/graphql`;
    this.batchMs = options.batchMs ?? 20;
    this.batchSize = options.batchSize ?? 200;
  }

  publishSignal(kind: SignalKind, path: string, body: SignalBody): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the hub connection is closed'));
    const signal: Record<string, unknown> = { kind: KIND_ENUM[kind], path };
    if (!signal.kind) return Promise.reject(new Error(`unknown signal kind "${kind}"`));
    for (const f of SIGNAL_FIELDS) if (body[f] !== undefined && body[f] !== null) signal[f] = body[f];
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ signal, resolve, reject });
      if (this.queue.length >= this.batchSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.batchMs);
    });
  }

  subscribeEvents(scope: string, types: string[], onEvent: (event: HubEvent) => void, onError: (err: Error) => void): () => void {
    if (this.closed) throw new Error('the hub connection is closed');
    let ended = false;
    const unsubscribe = this.wsClient().subscribe<{ hubEvents: { subject: string; type: string; path: string | null; data: string } }>(
      { query: HUB_EVENTS, variables: { scope, types: types.length ? types : null } },
      {
        next: (result) => {
          if (result.errors?.length) return fail(new Error(result.errors.map((e) => e.message).join('; ')));
          const e = result.data?.hubEvents;
          if (!e) return;
          let data: Record<string, unknown>;
          try { data = JSON.parse(e.data) as Record<string, unknown>; } catch { data = { raw: e.data }; }
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

  async publishEvent(type: string, path: string, data: Record<string, unknown>): Promise<void> {
    const res = await this.graphql(PUBLISH_EVENT, { type, path, data: JSON.stringify(data) });
    throwOnErrors(res);
    const result = res.data?.publishFlowEvent as MutationResult | undefined;
    if (result?.__typename !== 'FlowEventPublished' || !result.published) throw new Error(`event ${type} about ${path}: ${describeFailure(result)}`);
  }

  async graphql(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> {
    const res = await fetch(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${this.options.apiKey}` },
      body: JSON.stringify({ query, variables: variables ?? {} }),
    });
    const text = await res.text();
    let body: GraphQLResponse;
    try { body = JSON.parse(text) as GraphQLResponse; } catch { throw new Error(`hub answered HTTP ${res.status} without GraphQL: ${text.slice(0, 200)}`); }
    // GraphQL-over-HTTP answers some errors with 4xx and an errors list: hand those to the caller as errors.
    if (!res.ok && !body.errors?.length) throw new Error(`hub answered HTTP ${res.status}`);
    return body;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    await Promise.allSettled([...this.inFlight]);
    if (this.ws) await this.ws.dispose();
    this.ws = null;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.batchSize);
      const sent = this.send(batch).finally(() => this.inFlight.delete(sent));
      this.inFlight.add(sent);
    }
  }

  /**
   * The hub refuses a whole call for one bad signal (and publishes none of it): the bad one fails
   * alone, with the hub's message, and the rest of the batch goes again.
   */
  private async send(batch: Pending[]): Promise<void> {
    while (batch.length) {
      let result: MutationResult | undefined;
      try {
        const res = await this.graphql(PUBLISH_SIGNALS, { signals: batch.map((p) => p.signal) });
        throwOnErrors(res);
        result = res.data?.publishSignals as MutationResult | undefined;
      } catch (err) {
        for (const p of batch) p.reject(toError(err));
        return;
      }
      if (result?.__typename === 'SignalsPublished') {
        for (const p of batch) p.resolve();
        return;
      }
      const index = /^signals\[(\d+)\]/.exec(result?.field ?? '')?.[1];
      const refused = result?.__typename === 'NotFound' && result.key
        ? batch.filter((p) => p.signal.path === result.key)
        : index !== undefined && batch[Number(index)] ? [batch[Number(index)]!] : batch;
      const err = new Error(`signal refused by the hub: ${describeFailure(result)}`);
      for (const p of refused) p.reject(err);
      batch = refused.length ? batch.filter((p) => !refused.includes(p)) : [];
    }
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

function describeFailure(result: MutationResult | undefined): string {
  if (!result) return 'no result';
  return `${result.__typename}${result.field ? ` (${result.field})` : ''}: ${result.message ?? 'refused'}`;
}

function throwOnErrors(res: GraphQLResponse): void {
  if (res.errors?.length) throw new Error(res.errors.map((e) => e.message).join('; '));
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
