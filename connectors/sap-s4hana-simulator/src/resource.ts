// What a service handler gets and returns, and the resource path grammar it needs:
// Set, Set('k'), Set(A='a',B='b'), Set(...)/Navigation, FunctionImport.

import type { EdmEntityType, EdmService, Row } from './edm.js';
import { SimError } from './sap-error.js';
import { serializeEntity, type Selection, type ServiceContext } from './query.js';

export interface SimRequest {
  method: string;
  /** Relative to the service root, decoded, without the query: "ProdnOrdConf2", "A_ProductionOrder_2('1')". */
  path: string;
  query: URLSearchParams;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ServiceHandler {
  readonly service: EdmService;
  /** Synchronous: the store is in memory, and a changeset's rollback relies on nothing interleaving. */
  handle(request: SimRequest, ctx: ServiceContext): SimResponse;
  navigate(type: EdmEntityType, row: Row, navigation: string): Row[];
}

export interface Resource {
  set: string;
  key?: Record<string, string>;
  navigation?: string;
}

export function parseResource(path: string): Resource {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?(?:\/([A-Za-z_][A-Za-z0-9_]*))?$/.exec(path);
  if (!match) throw new SimError(404, '/IWBEP/CM_MGW_RT/021', `Resource not found for segment '${path}'`);
  const [, set, predicate, navigation] = match;
  if (predicate === undefined) return { set, navigation };
  const key: Record<string, string> = {};
  const literal = (text: string) => {
    const quoted = /^(?:guid)?'((?:[^']|'')*)'$/.exec(text.trim());
    if (!quoted) throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Invalid key predicate '${predicate}'`);
    return quoted[1].replace(/''/g, "'");
  };
  const pairs = predicate.match(/[A-Za-z_][A-Za-z0-9_]*=(?:guid)?'(?:[^']|'')*'/g);
  if (pairs) {
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      key[pair.slice(0, eq)] = literal(pair.slice(eq + 1));
    }
  } else key[''] = literal(predicate);
  return { set, key, navigation };
}

/** The key of a single-key entity or the named keys of a compound one, checked against the type. */
export function keyValues(type: EdmEntityType, key: Record<string, string>): Record<string, string> {
  if ('' in key) {
    if (type.keys.length !== 1)
      throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Key of ${type.name} has ${type.keys.length} properties`);
    return { [type.keys[0]]: key[''] };
  }
  for (const name of type.keys) {
    if (!(name in key)) throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Key property ${name} missing`);
  }
  return key;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', dataserviceversion: '2.0', ...headers },
    body: JSON.stringify(body),
  };
}

/** The single-entity answer, with the ETag header Gateway adds (and Location for a 201). */
export function entityResponse(
  ctx: ServiceContext,
  type: EdmEntityType,
  row: Row,
  expand: string[],
  options: { status?: number; select?: Selection } = {},
): SimResponse {
  const status = options.status ?? 200;
  const entity = serializeEntity(ctx, type, row, expand, options.select);
  const metadata = entity.__metadata as { uri: string; etag?: string };
  const headers: Record<string, string> = {};
  if (metadata.etag) headers.etag = metadata.etag;
  if (status === 201) headers.location = metadata.uri;
  return json(status, { d: entity }, headers);
}

export function parseJsonBody(body: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new SimError(400, '/IWBEP/CM_MGW_RT/001', 'Malformed JSON in the request body');
}
