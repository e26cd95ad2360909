import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Principal } from '../core/principal.js';
import type { HubContext } from './context.js';
import type { Gate } from './gate.js';
import { oversizedVariable } from './hardening.js';
import { HubFault } from '../core/faults.js';
import { toGraphQLError } from './failures.js';

const MAX_BODY_BYTES = 1_000_000;

/**
 * Serves one HTTP request with Apollo Server (the hub runs plain `node:http`, no framework),
 * after the gate: authentication, rate limit and safelist come before any parsing.
 */
export async function serveGraphQL(apollo: ApolloServer<HubContext>, gate: Gate, req: IncomingMessage, res: ServerResponse, contextFor: (p: Principal) => HubContext): Promise<void> {
  let body: unknown = undefined;
  if (req.method === 'POST') {
    const text = await readBody(req);
    if (text === null) {
      // Stop reading the rest of the upload: answer, then drop the connection.
      res.setHeader('connection', 'close');
      res.once('finish', () => req.destroy());
      return send(res, 413, { errors: [{ message: `Request body over ${MAX_BODY_BYTES} bytes; send smaller operations.`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    }
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return send(res, 400, { errors: [{ message: 'The request body is not valid JSON; send {"query": "...", "variables": {...}}.' }] });
    }
  }
  let principal: Principal;
  try {
    principal = await gate.admit(req.headers.authorization);
  } catch (err) {
    if (!(err instanceof HubFault)) throw err;
    res.setHeader('www-authenticate', 'Bearer');
    return sendError(res, 401, toGraphQLError(err));
  }
  const limited = gate.limit(principal);
  if (limited) {
    res.setHeader('retry-after', String(limited.extensions.retryAfterSeconds));
    return sendError(res, 429, limited);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const oversized = oversizedVariable((body as { variables?: unknown } | undefined)?.variables);
  if (oversized) return sendError(res, 400, oversized);
  if (gate.safelisted && (req.method === 'POST' || url.searchParams.has('query'))) {
    const request = (req.method === 'POST' ? body : Object.fromEntries(url.searchParams)) as { query?: unknown; extensions?: unknown } | undefined;
    if (Array.isArray(request)) return sendError(res, 400, new GraphQLError('Batched operations are not accepted; send one operation per request.'));
    const extensions = typeof request?.extensions === 'string' ? safeJson(request.extensions) : request?.extensions;
    const document = gate.document(request?.query, extensions);
    if (document instanceof GraphQLError) return sendError(res, 400, document);
    if (req.method === 'POST') body = { ...(body as object), query: document };
    else url.searchParams.set('query', document);
  }
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context: async () => contextFor(principal),
  });
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, error: GraphQLError): void {
  send(res, status, { errors: [{ message: error.message, extensions: { code: error.extensions.code, ...(error.extensions.retryAfterSeconds ? { retryAfterSeconds: error.extensions.retryAfterSeconds } : {}) } }] });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
