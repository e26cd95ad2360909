import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { LimitsConfig } from '../config.js';

type ConnectionLimits = Required<
  Pick<LimitsConfig, 'maxConnectionsPerAddress' | 'headersTimeoutMs' | 'requestTimeoutMs'>
>;

/**
 * The hub's `node:http` server, hardened against clients that hold connections open: each must
 * send its headers within `headersTimeoutMs` and its whole request within `requestTimeoutMs`
 * (else 408 and the connection is closed), and one address may hold at most
 * `maxConnectionsPerAddress` connections, HTTP and WebSocket together (beyond that, new ones are
 * closed at once). Trusted reverse proxies carry many clients and are not capped.
 */
export function createHttpServer(limits: ConnectionLimits, trustedProxies: readonly string[] = []): Server {
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // How often node looks for connections over those timeouts (its default, 30 s, lets them overstay).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  });
  const open = new Map<string, number>();
  const trusted = new Set(trustedProxies);
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (trusted.has(address)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > limits.maxConnectionsPerAddress) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
    // Node's header timeout starts with the first byte; a connection that never sends one is
    // dropped after the same time.
    const silent = setTimeout(() => socket.destroy(), limits.headersTimeoutMs);
    socket.once('data', () => clearTimeout(silent));
    socket.once('close', () => clearTimeout(silent));
  });
  return server;
}

/**
 * Who is calling: the peer's address, or behind a trusted reverse proxy the last address in
 * `X-Forwarded-For` that is not itself a trusted proxy (the first ones are the client's to forge).
 */
export function clientAddress(request: IncomingMessage, trustedProxies: readonly string[] = []): string {
  const peer = request.socket.remoteAddress ?? 'unknown';
  if (!trustedProxies.includes(peer)) return peer;
  const forwarded = String(request.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (let i = forwarded.length - 1; i >= 0; i--) if (!trustedProxies.includes(forwarded[i]!)) return forwarded[i]!;
  return peer;
}
