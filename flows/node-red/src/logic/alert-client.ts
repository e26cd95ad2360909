/** Raises and clears hub alerts through the hub's GraphQL API (`raiseAlert`, `clearAlert`, `alerts`). */
import type { GraphQLResponse, HubConnection } from '../hub-connection.js';
import type { AlertSeverity } from './alert-rules.js';

const RESULT = `__typename ... on Alert { id state occurrences escalationLevel } ... on ErrorResult { code message }`;
const RAISE = `mutation PlantGraphRaiseAlert($input: RaiseAlertInput!) { raiseAlert(input: $input) { ${RESULT} } }`;
const CLEAR = `mutation PlantGraphClearAlert($id: ID!, $comment: String) { clearAlert(id: $id, comment: $comment) { ${RESULT} } }`;
const OPEN = `query PlantGraphOpenAlerts($filter: AlertFilter, $after: String) {
  alerts(first: 500, after: $after, filter: $filter) { edges { node { id path deduplicationKey } } pageInfo { hasNextPage endCursor } }
}`;

export interface RaiseRequest {
  path: string;
  deduplicationKey: string;
  severity: AlertSeverity;
  title: string;
  description?: string;
  /** Escalate one level per this many seconds unacknowledged; the hub's default when absent. */
  escalateAfterSeconds?: number;
}

export interface AlertRef {
  id: string;
  state: string;
  occurrences: number;
  escalationLevel: number;
}

export class AlertClient {
  constructor(private readonly hub: HubConnection) {}

  async raise(request: RaiseRequest): Promise<AlertRef> {
    const input: Record<string, unknown> = {
      path: request.path,
      deduplicationKey: request.deduplicationKey,
      severity: request.severity,
      title: request.title,
    };
    if (request.description) input.description = request.description;
    if (request.escalateAfterSeconds) input.escalateAfterSeconds = request.escalateAfterSeconds;
    return alertOf(await this.hub.graphql(RAISE, { input }), 'raiseAlert');
  }

  async clear(id: string, comment?: string): Promise<AlertRef> {
    return alertOf(await this.hub.graphql(CLEAR, { id, comment: comment ?? null }), 'clearAlert');
  }

  /** The open (Active or Acknowledged) alert with this key on exactly this path, if any. */
  async findOpen(path: string, deduplicationKey: string): Promise<string | null> {
    let after: string | null = null;
    do {
      const res = await this.hub.graphql(OPEN, {
        filter: { pathPrefix: path, state: ['Active', 'Acknowledged'] },
        after,
      });
      throwErrors(res);
      const page = res.data!.alerts as {
        edges: { node: { id: string; path: string; deduplicationKey: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
      const hit = page.edges.find((e) => e.node.path === path && e.node.deduplicationKey === deduplicationKey);
      if (hit) return hit.node.id;
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    return null;
  }
}

function throwErrors(res: GraphQLResponse): void {
  if (res.errors?.length) throw new Error(res.errors.map((e) => e.message).join('; '));
}

function alertOf(res: GraphQLResponse, field: string): AlertRef {
  throwErrors(res);
  const result = res.data?.[field] as (AlertRef & { __typename: string; message?: string }) | undefined;
  if (!result) throw new Error(`the hub returned no ${field} result`);
  if (result.__typename !== 'Alert') throw new Error(`${field}: ${result.__typename}: ${result.message ?? 'refused'}`);
  return {
    id: result.id,
    state: result.state,
    occurrences: result.occurrences,
    escalationLevel: result.escalationLevel,
  };
}
