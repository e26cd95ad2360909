/**
 * A recording EmbeddedHub: the test double of the hub side of the HubConnection contract (the
 * real hub's implementation is tested with the hub). It records signals and events, lets tests
 * push hub events to subscribers, and answers the alert operations from an in-memory store.
 */
import type {
  EmbeddedHub,
  GraphQLResponse,
  HubConnection,
  HubEvent,
  SignalBody,
  SignalKind,
} from '../../src/hub-connection.js';

export interface Subscription {
  scope: string;
  types: string[];
  onEvent(e: HubEvent): void;
  onError(err: Error): void;
  ended: boolean;
}
export interface StoredAlert {
  id: string;
  path: string;
  deduplicationKey: string;
  severity: string;
  title: string;
  description?: string;
  state: string;
  occurrences: number;
  escalateAfterSeconds?: number;
}

export class RecordingHub implements HubConnection {
  signals: { kind: SignalKind; path: string; body: SignalBody }[] = [];
  events: { type: string; path: string; data: Record<string, unknown> }[] = [];
  operations: { query: string; variables?: Record<string, unknown> }[] = [];
  subscriptions: Subscription[] = [];
  alerts: StoredAlert[] = [];
  closed = 0;
  /** Set to make publishSignal / subscribeEvents fail. */
  failSignals: Error | null = null;
  failSubscribe: Error | null = null;
  /** Answers operations other than the alert ones. */
  answer: (query: string, variables?: Record<string, unknown>) => GraphQLResponse = () => ({ data: {} });

  async publishSignal(kind: SignalKind, path: string, body: SignalBody): Promise<void> {
    if (this.failSignals) throw this.failSignals;
    this.signals.push({ kind, path, body });
  }

  subscribeEvents(
    scope: string,
    types: string[],
    onEvent: (e: HubEvent) => void,
    onError: (err: Error) => void,
  ): () => void {
    const sub: Subscription = { scope, types, onEvent, onError, ended: false };
    this.subscriptions.push(sub);
    if (this.failSubscribe) queueMicrotask(() => onError(this.failSubscribe!));
    return () => {
      sub.ended = true;
    };
  }

  /** Delivers an event to every live subscription whose scope and types match. */
  emit(event: HubEvent): void {
    for (const s of this.subscriptions) {
      if (s.ended) continue;
      if (s.scope !== '*' && !(event.path === s.scope || event.path?.startsWith(`${s.scope}/`))) continue;
      if (s.types.length && !s.types.includes(event.type)) continue;
      s.onEvent(event);
    }
  }

  get liveSubscriptions(): Subscription[] {
    return this.subscriptions.filter((s) => !s.ended);
  }

  async publishEvent(type: string, path: string, data: Record<string, unknown>): Promise<void> {
    this.events.push({ type, path, data });
  }

  async graphql(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> {
    this.operations.push({ query, variables });
    if (query.includes('raiseAlert(')) {
      const input = variables!.input as StoredAlert;
      const open = this.alerts.find((a) => a.deduplicationKey === input.deduplicationKey && a.state !== 'Cleared');
      if (open) open.occurrences++;
      const alert = open ?? { ...input, id: `alert-${this.alerts.length + 1}`, state: 'Active', occurrences: 1 };
      if (!open) this.alerts.push(alert);
      return { data: { raiseAlert: { __typename: 'Alert', ...alert, escalationLevel: 0 } } };
    }
    if (query.includes('clearAlert(')) {
      const alert = this.alerts.find((a) => a.id === variables!.id);
      if (!alert || alert.state === 'Cleared')
        return {
          data: {
            clearAlert: { __typename: 'NotFound', code: 'NotFound', message: `no open alert ${String(variables!.id)}` },
          },
        };
      alert.state = 'Cleared';
      return { data: { clearAlert: { __typename: 'Alert', ...alert, escalationLevel: 0 } } };
    }
    if (query.includes('alerts(')) {
      const filter = variables!.filter as { pathPrefix: string; state: string[] };
      const nodes = this.alerts.filter((a) => a.path.startsWith(filter.pathPrefix) && filter.state.includes(a.state));
      return {
        data: { alerts: { edges: nodes.map((node) => ({ node })), pageInfo: { hasNextPage: false, endCursor: null } } },
      };
    }
    return this.answer(query, variables);
  }

  async close(): Promise<void> {
    this.closed++;
  }
}

/** The settings value `plantgraph`: hands out the current recording hub. */
export function embeddedHub(current: () => RecordingHub): EmbeddedHub {
  return { plant: 'test', connect: () => current() };
}
