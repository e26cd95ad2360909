import type { HubContext } from '../../graphql/context.js';
import type { ExecuteOperation } from '../../graphql/execute.js';
import type { Principal } from '../../core/principal.js';
import { HubFault } from '../../core/faults.js';

// The contract is the node package's (`flows/node-red/src/hub-connection.ts`): one definition for both sides.
import {
  publishFlowEvent,
  SignalBatcher,
  type EmbeddedHub,
  type GraphQLResponse,
  type HubConnection,
  type HubEvent,
  type SignalBody,
  type SignalKind,
} from '@plantgraph/node-red-contrib-plantgraph';

export type { EmbeddedHub };

/**
 * A connection for the embedded flows, acting as the flows' principal. It answers as the remote
 * connection with the same grants does: signals and flow events are the same GraphQL operations
 * (`publishSignals`, `publishFlowEvent`, run here in process rather than over HTTP), events are the
 * `hubEvents` feed, GraphQL runs against the hub's schema with the principal's context. Nothing
 * else of the hub is reachable from it.
 */
export class EmbeddedConnection implements HubConnection {
  readonly #subscriptions = new Set<() => void>();
  readonly #signals = new SignalBatcher((query, variables) => this.graphql(query, variables));

  constructor(
    private readonly execute: ExecuteOperation,
    private readonly contextFor: (principal: Principal) => HubContext,
    readonly principal: Principal,
  ) {}

  publishSignal(kind: SignalKind, path: string, body: SignalBody): Promise<void> {
    return this.#signals.publish(kind, path, body);
  }

  /**
   * The `hubEvents` feed, as callbacks. A refused subscription (a bad scope, no Read) is reported
   * through `onError` with the hub's message, as over graphql-ws.
   */
  subscribeEvents(
    scope: string,
    types: string[],
    onEvent: (event: HubEvent) => void,
    onError: (err: Error) => void,
  ): () => void {
    const { services } = this.contextFor(this.principal);
    let events: AsyncIterator<HubEvent>;
    try {
      events = services.signals
        .subscribeEvents(this.principal, scope, types, {
          queue: {
            limit: 10_000,
            onOverflow: () =>
              onError(
                new Error('subscribeEvents: the flow did not keep up; 10,000 events were waiting. Subscribe again.'),
              ),
          },
        })
        [Symbol.asyncIterator]();
    } catch (err) {
      if (!(err instanceof HubFault)) throw err;
      queueMicrotask(() => onError(new Error(err.message)));
      return () => {};
    }
    const stop = () => void events.return?.();
    this.#subscriptions.add(stop);
    void (async () => {
      try {
        for (let r = await events.next(); !r.done; r = await events.next()) {
          try {
            onEvent(r.value);
          } catch (err) {
            onError(err as Error);
          }
        }
      } catch (err) {
        onError(err as Error);
      } finally {
        this.#subscriptions.delete(stop);
      }
    })();
    return stop;
  }

  publishEvent(type: string, path: string, data: Record<string, unknown>): Promise<void> {
    return publishFlowEvent((query, variables) => this.graphql(query, variables), type, path, data);
  }

  graphql(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> {
    return this.execute(this.principal, query, variables);
  }

  async close(): Promise<void> {
    await this.#signals.close();
    for (const stop of [...this.#subscriptions]) stop();
    this.#subscriptions.clear();
  }
}
