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
}

/** Runs an operation and returns its data; GraphQL errors (faults, denials) become a thrown Error. */
export async function request<T>(hub: HubClient, query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await hub.graphql<T>(query, variables);
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
