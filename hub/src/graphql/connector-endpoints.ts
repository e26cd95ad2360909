// `POST /connectors/<instance>/<endpoint>`: a connector's own HTTP endpoint (e.g. B2MML documents), behind
// the hub's authentication and rate limits like /graphql. The caller must hold ManageConnectors at the
// instance's scope (an integration's API key, typically role Integrator); the connector then acts as its
// own principal with its own grants, so the endpoint never lends the caller's rights to anyone. An
// endpoint the connector authenticates itself (a webhook signed with a shared secret, which cannot carry
// the hub's credentials) is let through before the gate: the connector refuses it unless the signature
// holds, and still acts only with its own grants.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InboundEndpoint } from '@plantgraph/connector-sdk';
import { Permission } from '@plantgraph/schema';
import { AuthenticationThrottled } from '../auth/authenticator.js';
import { HubFault } from '../core/faults.js';
import type { Principal } from '../core/principal.js';
import { canAtScope } from '../modules/connector/connector-access.js';
import type { ConnectorHost } from '../modules/connector/connector-host.js';
import type { Gate } from './gate.js';
import { ABORTED, readBody, send } from './http.js';

export const CONNECTOR_ENDPOINT_PREFIX = '/connectors/';
const DEFAULT_MAX_BYTES = 16_000_000;
const WITHHELD = new Set(['authorization', 'cookie', 'proxy-authorization']);

export async function serveConnectorEndpoint(
  gate: Gate,
  host: ConnectorHost,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const [name, endpoint, ...rest] = path.slice(CONNECTOR_ENDPOINT_PREFIX.length).split('/').map(decodeURIComponent);
  if (!name || !endpoint || rest.length) return send(res, 404, { error: `Nothing at ${path}.` });
  const signed = host.endpoint(name, endpoint);
  if (signed?.handler.authenticatedBy === 'connector') return handle(req, res, signed.handler, 'signed');
  let principal: Principal;
  try {
    principal = await gate.admit(req.headers.authorization, req);
  } catch (err) {
    if (err instanceof AuthenticationThrottled) {
      res.setHeader('retry-after', String(err.retryAfterSeconds));
      return close(req, res, 429, err.message);
    }
    if (!(err instanceof HubFault)) throw err;
    res.setHeader('www-authenticate', 'Bearer');
    return close(req, res, 401, err.message);
  }
  const limited = gate.limit(principal);
  if (limited) return close(req, res, 429, limited.message);
  const found = host.endpoint(name, endpoint);
  // An endpoint the caller may not manage is reported as absent: its existence is not the caller's to learn.
  if (!found || !canAtScope(principal, Permission.Read, found.scope))
    return close(req, res, 404, `No running connector ${name} with an endpoint ${endpoint} here.`);
  if (!canAtScope(principal, Permission.ManageConnectors, found.scope))
    return close(req, res, 403, `Sending to ${name} needs ManageConnectors at ${found.scope}.`);
  return handle(req, res, found.handler, principal.id);
}

async function handle(req: IncomingMessage, res: ServerResponse, handler: InboundEndpoint, caller: string) {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return close(req, res, 405, 'Send the document with POST.');
  }
  const body = await readBody(req, handler.maxBytes ?? DEFAULT_MAX_BYTES);
  if (body === ABORTED) return;
  if (body === null) return close(req, res, 413, `The body is over ${handler.maxBytes ?? DEFAULT_MAX_BYTES} bytes.`);
  // The caller's credentials stay with the hub: the connector acts as itself and never sees them.
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers))
    if (value !== undefined && !WITHHELD.has(key)) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  const answer = await handler.handle({ body, contentType: req.headers['content-type'] ?? null, caller, headers });
  res.writeHead(answer.status, answer.body ? { 'content-type': answer.contentType } : {});
  res.end(answer.body);
}

/** Refuses, and closes the connection after the answer rather than read an upload nobody wants. */
function close(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  if (!req.readableEnded) res.setHeader('connection', 'close');
  send(res, status, { error: message });
}
