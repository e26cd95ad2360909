import type { IDataObject, IExecuteFunctions, ILoadOptionsFunctions, IPollFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { type Operation, type Param, pageOf, toItems, unionFailure, valueAt } from './operations';

type HubContext = IExecuteFunctions | ILoadOptionsFunctions | IPollFunctions;

/** Pages a "Return All" reads at most (500 records each): a bound, not a limit anyone should meet. */
const MAX_PAGES = 200;

interface GraphQLError {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

/**
 * One GraphQL operation against the hub with the node's credential. HTTP and GraphQL errors become a
 * NodeApiError carrying the hub's message and code (`extensions.code`, e.g. FORBIDDEN, CURSOR_EXPIRED).
 */
export async function hubRequest(
  this: HubContext,
  document: string,
  variables: IDataObject,
  itemIndex?: number,
): Promise<IDataObject> {
  const credentials = await this.getCredentials('plantGraphApi');
  const url = `${String(credentials.hubUrl).replace(/\/+$/, '')}/graphql`;
  const response = (await this.helpers.httpRequestWithAuthentication.call(this, 'plantGraphApi', {
    method: 'POST',
    url,
    body: { query: document, variables },
    json: true,
    ignoreHttpStatusErrors: true,
    returnFullResponse: true,
  })) as { statusCode: number; body: { data?: IDataObject | null; errors?: GraphQLError[] } | string };
  const body = typeof response.body === 'object' && response.body !== null ? response.body : {};
  const error = body.errors?.[0];
  if (error) {
    const code = String(error.extensions?.code ?? 'GRAPHQL_ERROR');
    const apiError = new NodeApiError(this.getNode(), { message: error.message, code } as JsonObject, {
      message: error.message,
      description: `The hub answered ${code}.`,
      httpCode: String(response.statusCode),
      itemIndex,
    });
    // The hub's code and details (e.g. CURSOR_EXPIRED's oldestCursor) for callers that act on them.
    apiError.context.hub = { ...error.extensions, code };
    throw apiError;
  }
  if (response.statusCode >= 400 || !body.data) {
    throw new NodeApiError(this.getNode(), { status: response.statusCode } as JsonObject, {
      message: `The hub answered HTTP ${response.statusCode} without data`,
      description: typeof response.body === 'string' ? response.body.slice(0, 500) : undefined,
      httpCode: String(response.statusCode),
      itemIndex,
    });
  }
  return body.data;
}

/**
 * Runs one operation for one item: pages through lists ("Return All" or up to "Limit"), turns a null
 * record into "not found" where one was asked for, and a result union's failure member into an error
 * with the hub's message and code (the caller decides about "Continue On Fail").
 */
export async function runOperation(
  this: IExecuteFunctions,
  op: Operation,
  p: Param,
  itemIndex: number,
): Promise<IDataObject[]> {
  const variables = op.variables(p);
  if (!op.paged) {
    const data = await hubRequest.call(this, op.document, variables, itemIndex);
    const value = valueAt(data, op.field) as IDataObject | null | undefined;
    if (value == null) return missing(this, op, variables, itemIndex);
    const failure = unionFailure(op, value);
    if (failure) {
      throw new NodeOperationError(this.getNode(), `${failure.message}`, {
        itemIndex,
        description: `The hub refused with ${failure.code} (${failure.typename}). ${JSON.stringify(failure.details)}`,
      });
    }
    return toItems(op, value);
  }
  const returnAll = p('returnAll', false) === true;
  const limit = Math.max(1, Number(p('limit', 50)));
  const nodes: IDataObject[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const first = returnAll ? 500 : Math.min(500, limit - nodes.length);
    const data = await hubRequest.call(this, op.document, { ...variables, first, after }, itemIndex);
    const value = valueAt(data, op.field) as IDataObject | null | undefined;
    if (value == null) return missing(this, op, variables, itemIndex);
    const { nodes: more, next } = pageOf(value);
    nodes.push(...more);
    if (!next || (!returnAll && nodes.length >= limit)) break;
    after = next;
  }
  return toItems(op, returnAll ? nodes : nodes.slice(0, limit));
}

function missing(ctx: IExecuteFunctions, op: Operation, variables: IDataObject, itemIndex: number): IDataObject[] {
  if (!op.required) return [];
  const key = Object.values(variables).find((v) => typeof v === 'string') ?? '';
  throw new NodeOperationError(ctx.getNode(), `No ${op.required} "${key}" (or none you may read)`, {
    itemIndex,
    description: 'The hub answered NotFound: it does not tell records outside your scopes from missing ones.',
  });
}
