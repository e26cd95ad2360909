/**
 * What the PlantGraph nodes need from a hub: the remote connection (hub URL + credential, GraphQL
 * over HTTP and graphql-ws), configured by the node (Remote) or handed to Node-RED by the hub that
 * runs it in its child process (Embedded: settings key `plantgraph`, see `EmbeddedHub`).
 * Every call runs with the permissions of the connection's principal: the flows get no more
 * rights than that identity has in the hub.
 */

/**
 * The machine-signal kinds of the ingest path (`<ns>.signal.equipment.<kind>.<path tokens>`). The
 * one definition: the hub's subjects and its GraphQL enum `SignalKind` derive from it.
 */
export const SIGNAL_KINDS = ['state', 'count', 'cycle', 'value'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/** A kind's value in the hub's GraphQL enum `SignalKind`: `state` → `State`. */
export const signalKindEnumValue = (kind: SignalKind): string => kind.charAt(0).toUpperCase() + kind.slice(1);

/**
 * A signal body as the hub's ingest path takes it. Always `source` (a stable sender id) and
 * `sequence` (strictly increasing per source, also across restarts); `at` is ISO-8601 and
 * defaults to arrival time.
 * - state: `{ state: EquipmentState, reason?: string }` (reason required for Down)
 * - count: `{ good?: int, scrap?: int, rework?: int }` parts since the previous count
 * - cycle: `{ cycleTimeMs: number, good?: int (default 1), scrap?: int }` one machine cycle
 * - value: `{ name: string, value: number, unit?: string }` a process value
 */
export interface SignalBody {
  source: string;
  sequence: number;
  at?: string;
  [field: string]: unknown;
}

/** A hub event as subscribers see it: the NATS-style subject, the event type and its payload. */
export interface HubEvent {
  subject: string;
  type: string;
  /** The equipment path the event is about, when it is about one. */
  path: string | null;
  data: Record<string, unknown>;
}

export interface GraphQLResponse {
  // biome-ignore lint/suspicious/noExplicitAny: an operation's data has the shape of its query, read by the caller
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export interface HubConnection {
  /** Publishes a machine signal on the durable ingest path; resolves once the bus has it. */
  publishSignal(kind: SignalKind, path: string, body: SignalBody): Promise<void>;
  /**
   * Live hub events at and below `scope` (an equipment path, or `*` for all the principal may
   * read); `types` filters by event type (e.g. `EquipmentStateChanged`, `AlertRaised`), empty
   * for all. Returns the function that ends the subscription.
   */
  subscribeEvents(
    scope: string,
    types: string[],
    onEvent: (event: HubEvent) => void,
    onError: (err: Error) => void,
  ): () => void;
  /** Publishes a flow-defined event about `path` (subject `<ns>.event.flow.<type>.<path>`). */
  publishEvent(type: string, path: string, data: Record<string, unknown>): Promise<void>;
  /** Runs a GraphQL operation as the connection's principal. */
  graphql(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

/** What the embedding hub puts under the Node-RED setting `plantgraph`. */
export interface EmbeddedHub {
  /** A connection acting as the flows' principal in this hub. */
  connect(): HubConnection;
  /** The plant (flows document) this runtime runs, e.g. `demo`. */
  plant: string;
}
