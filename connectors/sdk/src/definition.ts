// The typed definition every connector package exports: its settings, a real connection test, inbound
// jobs (poll with a cursor, or import one record on demand), inbound streams (a connection kept open)
// and outbound handlers (a hub event in, one external call out, the external reference back). The hub's connector host runs it: jobs, cursors,
// the delivery ledger, dead letters, replay, health and GraphQL are the host's, not the connector's.

import type { FailureKind } from './errors.js';
import type { HubClient } from './hub-client.js';
import type { Settings, SettingsIssue, SettingsSchema } from './settings.js';

export interface ConnectorLog {
  log(message: string): void;
  warn(message: string): void;
}

/** What a connector instance gets from the host. */
export interface ConnectorContext {
  /** The instance's name (unique in the hub). */
  name: string;
  /** Valid settings, defaults filled, secrets decrypted. */
  settings: Settings;
  /** The hub's GraphQL API as the instance's own principal. */
  hub: HubClient;
  log: ConnectorLog;
  /**
   * The instance's own small key/value store, kept in the hub's database and encrypted like secrets
   * (e.g. an OPC UA client's certificate and private key, a counter's last value). Not for values
   * that change many times a second: each `set` is a write to the database.
   */
  store: ConnectorStore;
}

/** A per-instance key/value store of text; the host persists it, sealed, in its database. */
export interface ConnectorStore {
  /** The value, or null when none was set. */
  get(key: string): Promise<string | null>;
  /** Sets (or with null removes) a value; resolves once it is stored. */
  set(key: string, value: string | null): Promise<void>;
}

/** One node of the external system's address space, as `browse` lists it. */
export interface BrowsedNode {
  /** The id to map or browse further, e.g. `ns=2;s=Press1.State`. */
  nodeId: string;
  /** The name qualified by its namespace index, e.g. `2:State`. */
  browseName: string;
  displayName: string;
  /** e.g. Object, Variable, Method. */
  nodeClass: string;
  /** A variable's data type by name (e.g. Double, Int32, an enumeration's name); null for other nodes. */
  dataType: string | null;
}

/** How one open connection of a stream is doing (e.g. one OPC UA endpoint), for the engineer. */
export interface StreamHealth {
  /** The stream's name. */
  stream: string;
  /** What it is connected to, e.g. an endpoint URL (no credentials). */
  endpoint: string;
  connected: boolean;
  /** When the last value arrived from the external system. */
  lastValueAt: Date | null;
  /** Items the external system reports bad (a wrong node id, a bad status). */
  itemsBad: number;
  /** Items in all. */
  items: number;
  /** Values waiting for the hub (store and forward). */
  buffered: number;
  /** Values given up because the buffer was full, since the stream opened. */
  dropped: number;
  detail: string | null;
}

export interface ConnectionCheck {
  /** Round trip of the real check (logon, a read), in ms. */
  roundTripMs: number;
  detail?: string;
}

export type ImportOutcomeKind = 'Created' | 'Updated' | 'Unchanged' | 'Rejected' | 'Conflict';

/** Why a record was not imported (or conflicts), naming the external field and value. */
export interface ImportReason {
  code: string;
  field: string;
  value?: string;
  message: string;
}

/** What became of one external record; the host keeps the latest per reference, readable in GraphQL. */
export interface ImportOutcome {
  /** The external system's key of the record (e.g. SAP's order number). */
  reference: string;
  outcome: ImportOutcomeKind;
  /** The hub record it became (e.g. the work order number). */
  hubReference?: string;
  reasons: ImportReason[];
}

export interface PollResult {
  /** Where the next poll starts; stored by the host once this page's outcomes are recorded. */
  cursor: string | null;
  /** More is waiting: the host polls again at once. */
  more: boolean;
  outcomes: ImportOutcome[];
}

export interface InboundJob {
  description: string;
  /** One page of changes after `cursor` (null: from the beginning), each imported idempotently. */
  poll?(cursor: string | null): Promise<PollResult>;
  /** Imports one record by its external reference, on demand. */
  importOne?(reference: string): Promise<ImportOutcome>;
}

/** An open stream; `close()` ends it (unsubscribes, disconnects) and resolves once it has. */
export interface StreamHandle {
  close(): Promise<void>;
}

/**
 * A connection the connector keeps open while it runs: subscriptions on a machine's OPC UA server,
 * a session on an MQTT broker. The host opens it on one replica at a time (the holder of the
 * connectors' lease) and closes it when the instance stops or the lease moves. What the stream
 * receives goes to the hub through `context.hub` (e.g. `publishSignals`), as any client's would.
 */
export interface InboundStream {
  description: string;
  /**
   * Opens the stream; rejects when it cannot (the host records why and tries again after a pause
   * that grows to 30 s). Call `lost` when an open stream is gone for good (a connection that will
   * not come back by itself): the host closes it, records why and opens it again after a pause.
   */
  open(lost: (error: Error) => void): Promise<StreamHandle>;
}

/** A request to a connector's endpoint, after the hub admitted its caller. */
export interface EndpointRequest {
  /** The request body as text (UTF-8). */
  body: string;
  contentType: string | null;
  /**
   * Who sent it (the caller's principal id), for the connector's answers and logs; `signed` for an
   * endpoint whose sender the connector authenticates itself (`authenticatedBy: 'connector'`).
   */
  caller: string;
  /**
   * The request's headers, names in lower case (a signature the connector checks is in one), without
   * the caller's credentials (`authorization`, `cookie`): the connector acts as itself.
   */
  headers: Readonly<Record<string, string | undefined>>;
}

export interface EndpointResponse {
  status: number;
  contentType: string;
  /** Empty for no content. */
  body: string;
  /**
   * What became of the records the request carried: the host records them in the import log
   * (`connectorImports`) as it does a poll's, before the response is sent.
   */
  outcomes?: ImportOutcome[];
}

/**
 * An HTTP endpoint of the connector, served by the hub at `POST /connectors/<instance>/<endpoint>` on
 * every replica that runs the instance, behind the hub's authentication and rate limits; the caller must
 * hold `ManageConnectors` at the instance's scope. The connector then acts as its own principal.
 */
export interface InboundEndpoint {
  description: string;
  /**
   * `hub` (default): the caller signs in to the hub as above. `connector`: the hub lets the request
   * through unauthenticated and the connector must authenticate it itself before acting (a webhook
   * the external system signs with a shared secret, which cannot carry the hub's credentials).
   */
  authenticatedBy?: 'hub' | 'connector';
  /** Largest body taken, in bytes (default 16 MB); a larger one is refused with 413 before it is read. */
  maxBytes?: number;
  handle(request: EndpointRequest): Promise<EndpointResponse>;
}

/** An event of the hub, as the relay hands it to an outbound handler. */
export interface HubEvent {
  /** Stable id of the event: the delivery's idempotency key derives from it. */
  id: string;
  /** Position in the hub's event stream (the relay's cursor), as a decimal string. */
  seq: string;
  /** Past tense, e.g. `WorkOrderCompleted`. */
  type: string;
  /** The business key of the record, e.g. the work order number. */
  key: string;
  /** Equipment path where the record lies (null for shared master data). */
  path: string | null;
  /**
   * The id of the record the event is about when it is not the key's record (e.g. the deviation an
   * order's `DeviationOpened` opened), else the record's own id; null when the event names none.
   */
  record?: string | null;
  /** When it happened (ISO 8601). */
  at: string;
}

export interface OutboundDelivery {
  /** Stable across retries, replays and replicas; send it where the external system has a field for it. */
  key: string;
  event: HubEvent;
  /** This attempt's number, from 1 (replays start again at 1). */
  attempt: number;
  /**
   * How the previous attempt failed: after `ambiguous`, reconcile (read back by the key) before sending.
   * The host has by then waited the runtime's `unknownOutcomeWaitMs` since that failure.
   */
  lastFailure: FailureKind | null;
}

export interface DeliveryResult {
  /** The external system's reference of what it holds (e.g. SAP's confirmation group and counter). */
  externalReference: string | null;
  /** True when the external system already had it (found by the key) and nothing was sent. */
  reconciled: boolean;
  /** Set when the event is not this connector's to deliver (e.g. an order that did not come from it): why. */
  skipped?: string;
}

export interface OutboundHandler {
  description: string;
  /** One delivery; throw a ConnectorError to say what a failure means (anything else is retryable). */
  deliver(delivery: OutboundDelivery): Promise<DeliveryResult>;
}

/** One configured instance of a connector, as the host runs it. */
export interface ConnectorRuntime {
  /** A real round trip to the external system; throws a ConnectorError when it fails. */
  testConnection(): Promise<ConnectionCheck>;
  /** Inbound jobs by name. */
  inbound?: Readonly<Record<string, InboundJob>>;
  /** HTTP endpoints by name (`POST /connectors/<instance>/<name>`), served on every replica. */
  endpoints?: Readonly<Record<string, InboundEndpoint>>;
  /** Long-lived inbound connections by name, open while the instance runs (on one replica). */
  streams?: Readonly<Record<string, InboundStream>>;
  /** How often the host polls every inbound job that can poll; absent or 0: on demand only. */
  pollIntervalMs?: number;
  /** Outbound handlers by the hub event type (past tense) they take. */
  outbound?: Readonly<Record<string, OutboundHandler>>;
  /**
   * Deliveries run at once on each hub replica (default 4, at most 32): a delivery mostly waits for the
   * external system, so more at once means more per second, as far as that system takes them.
   */
  outboundConcurrency?: number;
  /**
   * After an attempt whose outcome is unknown (`ambiguous`: a write sent, its answer lost), how long the
   * external system may still take to apply it, in ms. The host holds the next attempt until this long
   * after the failure, so its read-back by the key sees a write that was still being committed rather
   * than sending it a second time. Absent or 0: the next attempt follows the job's backoff (about 1 s).
   */
  unknownOutcomeWaitMs?: number;
  /**
   * Lists the children of a node of the external system's address space (its root when `nodeId` is
   * absent), so an engineer picks what to map by name; for connectors whose source has one (OPC UA).
   */
  browse?(nodeId?: string): Promise<BrowsedNode[]>;
  /** How each open stream's connections are doing, read by the host when asked (not stored). */
  streamHealth?(): StreamHealth[];
  close?(): Promise<void>;
}

export interface ConnectorDefinition {
  /** The connector's type name, e.g. `sap-s4hana`. */
  readonly type: string;
  readonly title: string;
  readonly settings: SettingsSchema;
  /** Checks beyond the schema (e.g. a mapping document), run when an instance is saved. */
  validate?(settings: Settings): SettingsIssue[];
  create(context: ConnectorContext): ConnectorRuntime;
}

/** Types a definition (an identity function, for inference and for reading). */
export function defineConnector<D extends ConnectorDefinition>(definition: D): D {
  return definition;
}
