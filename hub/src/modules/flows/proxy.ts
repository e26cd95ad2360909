/**
 * The editor, its WebSocket and the `http in` endpoints stay on the hub's port: requests and
 * upgrades under `/flows` and `/flows-http` are forwarded, by path, to the flows process's
 * loopback port, with the proxy secret that port requires (`PROXY_HEADER`).
 */
import { Agent, type IncomingHttpHeaders, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { PROXY_HEADER } from './child-protocol.js';
import type { FlowsTarget } from './flows-process.js';

/** Headers of one hop only (RFC 9110, 7.6.1): never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
]);
const RESTARTING = JSON.stringify({
  error: 'The flows runtime is starting or restarting; try again in a few seconds.',
});

/**
 * Connections to the child are kept open; an idle one is closed by the hub after 30 s, well
 * before the child would (after 120 s, `child-main.ts`), so a request never goes out on a socket the
 * child is closing at that moment (it would fail with a reset).
 */
const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 30_000 });

function forwardedHeaders(headers: IncomingHttpHeaders, target: FlowsTarget, req: IncomingMessage) {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name) && name !== PROXY_HEADER) out[name] = value;
  out[PROXY_HEADER] = target.secret;
  out['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  return out;
}

/** Forwards one request to the flows process; 503 while it (re)starts. */
export function proxyRequest(target: FlowsTarget | null, req: IncomingMessage, res: ServerResponse): void {
  if (!target) {
    unavailable(res);
    return;
  }
  const upstream = request(
    {
      host: '127.0.0.1',
      port: target.port,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req.headers, target, req),
      agent,
    },
    (answer) => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers))
        if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) unavailable(res);
    else res.destroy();
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** Forwards a WebSocket upgrade: the request head to the flows process, then bytes both ways. */
export function proxyUpgrade(target: FlowsTarget | null, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  if (!target) {
    socket.end(
      `HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(RESTARTING)}\r\n\r\n${RESTARTING}`,
    );
    return;
  }
  const upstream = connect(target.port, '127.0.0.1');
  const lines = [`${req.method} ${req.url} HTTP/1.1`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2)
    if (raw[i]!.toLowerCase() !== PROXY_HEADER) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  lines.push(`${PROXY_HEADER}: ${target.secret}`);
  upstream.once('connect', () => {
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  const end = () => {
    upstream.destroy();
    socket.destroy();
  };
  upstream.on('error', end);
  socket.on('error', end);
  upstream.on('close', end);
  socket.on('close', end);
}

function unavailable(res: ServerResponse): void {
  res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '2' });
  res.end(RESTARTING);
}
