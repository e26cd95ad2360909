import { graphql, type GraphQLSchema } from 'graphql';
import { Permission, WHOLE_INSTALLATION } from '@plantgraph/schema';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { HubContext } from '../../graphql/context.js';
import type { Principal } from '../../core/principal.js';
import { isEquipmentPath } from '../../core/keys.js';

// The contract is the node package's (`flows/node-red/src/hub-connection.ts`): one definition for both sides.
import type { EmbeddedHub, GraphQLResponse, HubConnection, HubEvent, SignalBody, SignalKind } from '@plantgraph/node-red-contrib-plantgraph';

export type { EmbeddedHub };

/**
 * A connection for the embedded flows, acting as the flows' principal: signals go onto the
 * durable ingest path, events are filtered by what the principal may read, GraphQL runs against
 * the hub's schema with the principal's context. Nothing else of the hub is reachable from it.
 */
export class EmbeddedConnection implements HubConnection {
  readonly #subscriptions = new Set<() => void>();

  constructor(
    private readonly bus: MessageBus,
    private readonly schema: GraphQLSchema,
    private readonly contextFor: (principal: Principal) => HubContext,
    readonly principal: Principal,
  ) {}

  private checkPath(path: string, what: string): void {
    if (typeof path !== 'string' || !isEquipmentPath(path)) throw new Error(`${what}: "${path}" is not an equipment path (segments of letters, digits, "-" or "_", separated by "/").`);
    if (!this.principal.can(Permission.Read, path)) throw new Error(`${what}: ${path} is outside the scopes of ${this.principal.name} (PLANTGRAPH_FLOWS_GRANTS).`);
  }

  async publishSignal(kind: SignalKind, path: string, body: SignalBody): Promise<void> {
    this.checkPath(path, 'publishSignal');
    if (!body || typeof body.source !== 'string' || !body.source) throw new Error('publishSignal: the body needs "source", a stable sender id (e.g. the flow node id).');
    if (!Number.isSafeInteger(body.sequence) || body.sequence < 0) throw new Error(`publishSignal: "sequence" must be a non-negative integer increasing per source, got ${JSON.stringify(body.sequence)}.`);
    const subject = this.bus.subjects.equipmentSignal(kind, path);
    await this.bus.publishSignal(subject, Buffer.from(JSON.stringify(body)), `${body.source}:${body.sequence}`);
  }

  /** The `hubEvents` feed (one visibility rule for both), as callbacks; the scope must be the flows' own. */
  subscribeEvents(scope: string, types: string[], onEvent: (event: HubEvent) => void, onError: (err: Error) => void): () => void {
    if (scope !== WHOLE_INSTALLATION) this.checkPath(scope, 'subscribeEvents');
    const { services } = this.contextFor(this.principal);
    const events = services.signals.subscribeEvents(this.principal, scope, types, {
      limit: 10_000, onOverflow: () => onError(new Error('subscribeEvents: the flow did not keep up; 10,000 events were waiting. Subscribe again.')),
    })[Symbol.asyncIterator]();
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

  /** The same as the `publishFlowEvent` mutation: one shape and one set of checks for flow events. */
  async publishEvent(type: string, path: string, data: Record<string, unknown>): Promise<void> {
    const ctx = this.contextFor(this.principal);
    const result = await ctx.services.signals.publishFlowEvent(ctx.em, this.principal, type, path, JSON.stringify(data ?? {}));
    if (!('published' in result)) throw new Error(`publishEvent: ${result.message}`);
  }

  async graphql(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> {
    const result = await graphql({ schema: this.schema, source: query, variableValues: variables, contextValue: this.contextFor(this.principal) });
    const response: GraphQLResponse = { data: result.data as Record<string, unknown> | null | undefined };
    if (result.errors?.length) response.errors = result.errors.map((e) => ({ message: e.message, ...(e.extensions && Object.keys(e.extensions).length ? { extensions: e.extensions as Record<string, unknown> } : {}) }));
    return response;
  }

  async close(): Promise<void> {
    for (const stop of [...this.#subscriptions]) stop();
    this.#subscriptions.clear();
  }
}
