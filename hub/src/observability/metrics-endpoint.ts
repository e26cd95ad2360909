import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HubMetrics } from './metrics.js';

/**
 * `GET /metrics` for Prometheus. Open unless `PLANTGRAPH_METRICS_TOKEN` is set; then only
 * `Authorization: Bearer <token>` (Prometheus' `authorization` or `bearer_token_file`) is answered (ADR 0022).
 */
export async function serveMetrics(
  metrics: HubMetrics,
  token: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
    res.end('Only GET and HEAD read the metrics.\n');
    return;
  }
  if (token && !bearerMatches(req.headers.authorization, token)) {
    res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"', 'Content-Type': 'text/plain' });
    res.end('The metrics need "Authorization: Bearer <PLANTGRAPH_METRICS_TOKEN>".\n');
    return;
  }
  await metrics.serve(res);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
