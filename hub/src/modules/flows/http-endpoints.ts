import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AuthenticationThrottled } from '../../auth/authenticator.js';
import { HubFault } from '../../core/faults.js';
import type { Principal } from '../../core/principal.js';
import type { Gate } from '../../graphql/gate.js';
import { isPublicEndpoint } from './flow-policy.js';

/** The header a flow reads to know who called its endpoint (`msg.req.headers`); never the client's own. */
export const CALLER_HEADER = 'x-plantgraph-principal';

type Refusal = { status: 401 | 429; message: string; retryAfter?: number };

/**
 * The door of the flows' `http in` (and `websocket in`) endpoints: the hub's credentials through
 * the same gate as GraphQL (authentication, the caller's rate limit), unless the installation made
 * the path public. Whatever the outcome, the caller's credential never reaches the flow (a flow
 * editor could otherwise collect the tokens of whoever calls their endpoint); the flow sees the
 * caller's principal name in `x-plantgraph-principal`.
 */
export class FlowEndpointGuard {
  constructor(
    private readonly gate: Pick<Gate, 'admit' | 'limit'>,
    private readonly publicPaths: readonly string[],
    private readonly httpRoot: string,
  ) {}

  /** Lets `req` through (resolves true) or answers it with 401/429 (resolves false). */
  async admitRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const refusal = await this.#admit(req);
    if (!refusal) return true;
    if (refusal.status === 401) res.setHeader('www-authenticate', 'Bearer');
    if (refusal.retryAfter) res.setHeader('retry-after', String(refusal.retryAfter));
    res.writeHead(refusal.status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
    res.end(JSON.stringify({ error: refusal.message }));
    return false;
  }

  /** The same for a WebSocket upgrade: refused ones get the HTTP answer on the socket, then it closes. */
  async admitUpgrade(req: IncomingMessage, socket: Duplex): Promise<boolean> {
    const refusal = await this.#admit(req);
    if (!refusal) return true;
    const reason = refusal.status === 401 ? 'Unauthorized' : 'Too Many Requests';
    const body = JSON.stringify({ error: refusal.message });
    socket.end(
      `HTTP/1.1 ${refusal.status} ${reason}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
        `${refusal.status === 401 ? 'www-authenticate: Bearer\r\n' : ''}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    return false;
  }

  async #admit(req: IncomingMessage): Promise<Refusal | null> {
    const authorization = req.headers.authorization;
    strip(req);
    const path = (req.url ?? '/').split('?')[0]!.slice(this.httpRoot.length) || '/';
    if (isPublicEndpoint(path, this.publicPaths)) return null;
    let principal: Principal;
    try {
      principal = await this.gate.admit(authorization, req);
    } catch (err) {
      if (err instanceof AuthenticationThrottled)
        return { status: 429, message: err.message, retryAfter: err.retryAfterSeconds };
      if (err instanceof HubFault)
        return {
          status: 401,
          message: `${err.message} This flow endpoint is not public (see PLANTGRAPH_FLOWS_PUBLIC_HTTP).`,
        };
      throw err;
    }
    const limited = this.gate.limit(principal);
    if (limited)
      return { status: 429, message: limited.message, retryAfter: Number(limited.extensions.retryAfterSeconds) };
    req.headers[CALLER_HEADER] = principal.name;
    req.rawHeaders.push(CALLER_HEADER, principal.name);
    return null;
  }
}

/** Removes the credential and any caller header the client made up, from the parsed and the raw headers. */
function strip(req: IncomingMessage): void {
  delete req.headers.authorization;
  delete req.headers[CALLER_HEADER];
  const raw = req.rawHeaders;
  const kept: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name !== 'authorization' && name !== CALLER_HEADER) kept.push(raw[i]!, raw[i + 1]!);
  }
  raw.splice(0, raw.length, ...kept);
}
