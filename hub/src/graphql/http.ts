import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Principal } from '../core/principal.js';
import type { HubContext } from './context.js';
import type { Gate } from './gate.js';
import type { OperationChecker } from './operations.js';
import { tooMany } from './rate-limit.js';
import { AuthenticationThrottled } from '../auth/authenticator.js';
import { HubFault } from '../core/faults.js';
import { toGraphQLError } from './failures.js';
import type { CheckedOperation } from './compiled/compiled-reads.js';

const MAX_BODY_BYTES = 1_000_000;

type OperationRequest = { query?: unknown; variables?: unknown; operationName?: unknown; extensions?: unknown };
const badRequest = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' } });

/**
 * Serves one HTTP request with Apollo Server (the hub runs plain `node:http`, no framework),
 * after the gate (authentication and rate limit from the headers, before the body is read; then
 * the safelist) and the operation checks every transport shares (`OperationChecker`): nothing
 * reaches Apollo that they refused.
 */
export async function serveGraphQL(
  apollo: ApolloServer<HubContext>,
  gate: Gate,
  checker: OperationChecker,
  req: IncomingMessage,
  res: ServerResponse,
  contextFor: (p: Principal) => HubContext,
  reads?: FastReads,
): Promise<void> {
  // Who is calling and how often, from the headers alone: a caller refused here costs no body parsing.
  let principal: Principal;
  try {
    principal = await gate.admit(req.headers.authorization, req);
  } catch (err) {
    if (err instanceof AuthenticationThrottled) {
      return refuse(req, res, 429, [tooMany(err.message, err.retryAfterSeconds)]);
    }
    if (!(err instanceof HubFault)) throw err;
    res.setHeader('www-authenticate', 'Bearer');
    return refuse(req, res, 401, [toGraphQLError(err)]);
  }
  const limited = gate.limit(principal);
  if (limited) return refuse(req, res, 429, [limited]);
  let body: unknown;
  if (req.method === 'POST') {
    const text = await readBody(req);
    if (text === ABORTED) return; // the client went away or ran out of time (node answered 408)
    if (text === null) {
      // Stop reading the rest of the upload: answer, then drop the connection.
      res.setHeader('connection', 'close');
      res.once('finish', () => req.destroy());
      return send(res, 413, {
        errors: [
          {
            message: `Request body over ${MAX_BODY_BYTES} bytes; send smaller operations.`,
            extensions: { code: 'PAYLOAD_TOO_LARGE' },
          },
        ],
      });
    }
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return send(res, 400, {
        errors: [{ message: 'The request body is not valid JSON; send {"query": "...", "variables": {...}}.' }],
      });
    }
  }
  if (Array.isArray(body)) {
    return sendErrors(res, 400, [badRequest('Operation batching is not accepted; send one operation per request.')]);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  // A GET without an operation is Apollo's landing page; everything else is an operation to check.
  if (req.method === 'POST' || url.searchParams.has('query') || url.searchParams.has('extensions')) {
    const request = req.method === 'POST' ? ((body ?? {}) as OperationRequest) : fromSearch(url.searchParams);
    if (request instanceof GraphQLError) return sendErrors(res, 400, [request]);
    const document = gate.document(request.query, request.extensions);
    if (document instanceof GraphQLError) return sendErrors(res, 400, [document]);
    const checked = checker.check(document, request.variables, request.operationName);
    if (checked.errors) return sendErrors(res, 400, checked.errors);
    // Apollo's own checks of a POST hold (a JSON body, so no CSRF preflight; no extensions) and it
    // would answer `application/json` (anything else it negotiates from `accept`).
    if (reads && req.method === 'POST' && isJson(req) && jsonAccepted(req) && request.extensions === undefined) {
      const operationName = typeof request.operationName === 'string' ? request.operationName : null;
      const { operation, variables = {} } = checked;
      const answered =
        operation &&
        (await reads.answer(principal, {
          source: document,
          operationName,
          document: checked.document,
          operation,
          variables,
        }));
      if (answered) {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(answered);
        return;
      }
    }
    if (req.method === 'POST') body = { ...(body as object), query: document };
    else url.searchParams.set('query', document);
  }
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers))
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
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

/** Answers some read-only operations without Apollo (`CompiledReads`); null: Apollo answers. */
export interface FastReads {
  answer(principal: Principal, operation: CheckedOperation): Promise<string | null>;
}

const isJson = (req: IncomingMessage) =>
  (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';

/** An `accept` header for which Apollo picks `application/json` (no quality values to weigh). */
const jsonAccepted = (req: IncomingMessage) =>
  !req.headers.accept || req.headers.accept.split(',').every((range) => PLAIN_ACCEPT.has(range.trim().toLowerCase()));
const PLAIN_ACCEPT = new Set(['*/*', 'application/*', 'application/json']);

export const ABORTED = Symbol('aborted');

/** The request body as text; null when it is over `maxBytes`, ABORTED when the client went away. */
export async function readBody(
  req: IncomingMessage,
  maxBytes = MAX_BODY_BYTES,
): Promise<string | null | typeof ABORTED> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) return null;
      chunks.push(chunk as Buffer);
    }
  } catch {
    return ABORTED;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A GET operation's fields, with `variables` and `extensions` JSON-decoded as Apollo will. */
function fromSearch(params: URLSearchParams): OperationRequest | GraphQLError {
  const request: Record<string, unknown> = { query: params.get('query'), operationName: params.get('operationName') };
  for (const name of ['variables', 'extensions']) {
    const text = params.get(name);
    if (text === null) continue;
    try {
      request[name] = JSON.parse(text);
    } catch {
      return badRequest(`The ${name} search parameter is not valid JSON.`);
    }
  }
  return request;
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** Refuses before the body is read; the connection closes after the answer rather than read an upload nobody wants. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, errors: readonly GraphQLError[]): void {
  if (!req.readableEnded) res.setHeader('connection', 'close');
  sendErrors(res, status, errors);
}

/** Errors refused before Apollo, shaped as Apollo shapes its own (no stack traces, no internals). */
function sendErrors(res: ServerResponse, status: number, errors: readonly GraphQLError[]): void {
  const retryAfter = errors[0]?.extensions.retryAfterSeconds;
  if (retryAfter) res.setHeader('retry-after', String(retryAfter));
  send(res, status, {
    errors: errors.map((e) => ({
      message: e.message,
      ...(e.locations ? { locations: e.locations } : {}),
      extensions: { code: e.extensions.code, ...(retryAfter ? { retryAfterSeconds: retryAfter } : {}) },
    })),
  });
}
