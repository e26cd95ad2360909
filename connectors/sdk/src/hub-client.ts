// How a connector talks to the hub: GraphQL operations as its own principal (the instance's grants),
// never hub internals. The hub hands an in-process client to the connectors it hosts; a connector run
// elsewhere uses RemoteHubClient with an API key. Both answer the same way.

export interface GraphQLError {
  message: string;
  extensions?: Record<string, unknown>;
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: GraphQLError[];
}

export interface HubClient {
  /** Runs one operation; GraphQL errors come back in `errors`, as over HTTP. */
  graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /**
   * The hub's own client only: signals straight to its admission, with the rule and the answers of
   * the `publishSignals` mutation but without a GraphQL document and the coercion of every signal
   * object (a tenth of the hub's CPU at thousands of signals per second). Use `publishSignals()`.
   */
  publishSignals?(signals: readonly SignalInput[]): Promise<GraphQLResponse<{ publishSignals: PublishSignalsAnswer }>>;
}

/** One machine signal as the hub's `publishSignals` takes it (its EquipmentSignalInput). */
export interface SignalInput {
  kind: 'State' | 'Count' | 'Cycle' | 'Value';
  path: string;
  source: string;
  sequence: number;
  /** ISO-8601; without it, when the signal reached the hub. */
  at?: string | null;
  state?: string | null;
  reason?: string | null;
  good?: number | null;
  scrap?: number | null;
  rework?: number | null;
  cycleTimeMs?: number | null;
  name?: string | null;
  value?: number | null;
  unit?: string | null;
}

/** What `publishSignals` answers: all taken, or the first refusal (a field of `signals[i]`, or equipment). */
export type PublishSignalsAnswer =
  | { __typename: 'SignalsPublished'; accepted: number }
  | { __typename: 'InvalidInput'; field: string; message: string }
  | { __typename: 'NotFound'; entity: string; key: string; message: string };

const PUBLISH_SIGNALS = `mutation ($s: [EquipmentSignalInput!]!) { publishSignals(signals: $s) {
  __typename ... on SignalsPublished { accepted } ... on InvalidInput { field message }
  ... on NotFound { entity key message } } }`;

/**
 * Publishes signals (at most 1000 per call) on the hub's durable signal path: in the hub's process
 * by its direct door, elsewhere by the `publishSignals` mutation; both answer alike. Faults (rate
 * limit, no right to publish signals anywhere, the bus unreachable) become a thrown Error.
 */
export async function publishSignals(hub: HubClient, signals: readonly SignalInput[]): Promise<PublishSignalsAnswer> {
  const response = hub.publishSignals
    ? await hub.publishSignals(signals)
    : await hub.graphql<{ publishSignals: PublishSignalsAnswer }>(PUBLISH_SIGNALS, { s: signals });
  return dataOf(response).publishSignals;
}

/** Runs an operation and returns its data; GraphQL errors (faults, denials) become a thrown Error. */
export async function request<T>(hub: HubClient, query: string, variables?: Record<string, unknown>): Promise<T> {
  return dataOf(await hub.graphql<T>(query, variables));
}

function dataOf<T>(response: GraphQLResponse<T>): T {
  if (response.errors?.length) throw new Error(`Hub: ${response.errors.map((e) => e.message).join('; ')}`);
  if (!response.data) throw new Error('Hub: the answer had no data.');
  return response.data;
}

/** The hub's GraphQL over HTTP with an API key, for a connector that runs outside the hub. */
export class RemoteHubClient implements HubClient {
  constructor(
    private readonly url: string,
    private readonly apiKey: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async graphql<T>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
    const res = await fetch(`${this.url.replace(/\/+$/, '')}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.apiKey}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    return (await res.json()) as GraphQLResponse<T>;
  }
}
