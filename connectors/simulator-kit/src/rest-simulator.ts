// What the REST simulators of external systems (MaintainX, the QMS) share: node:http on 127.0.0.1 under
// `/v1`, bearer keys (401 without one), a per-key rate limit answering 429 with Retry-After, and the fault
// plan applied around the system's own routes: a status before anything is applied, a commit that comes
// late, or, once the change is committed, a reset or no answer at all. A simulator supplies its routes
// and its error body.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Fault, type FaultOptions, FaultPlan } from './faults.js';

/** A refusal with the status the system would answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RouteAnswer {
  status: number;
  body: unknown;
}

export interface RestSimulatorOptions {
  /** Bearer keys let in. */
  apiKeys: string[];
  /** Requests per second per key before 429 (with Retry-After: 1); 0: no limit. */
  ratePerSecond?: number;
}

export abstract class RestSimulator {
  readonly faults = new FaultPlan();
  readonly stats = { requests: 0, rateLimited: 0, posts: 0 };
  url = '';
  private readonly server: http.Server;
  private readonly keys: Set<string>;
  private readonly windows = new Map<string, { second: number; count: number }>();
  private readonly hanging = new Set<http.ServerResponse>();

  protected constructor(private readonly rest: RestSimulatorOptions) {
    this.keys = new Set(rest.apiKeys);
    this.server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        const message = error instanceof Error ? error.message : String(error);
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.errorBody(message)));
      });
    });
  }

  /** The system's routes below `/v1`: `path` is the segments after it. */
  protected abstract route(method: string, path: string[], query: URLSearchParams, body: unknown): RouteAnswer;

  /** The body of an error answer in the system's shape. */
  protected errorBody(message: string): unknown {
    return { errors: [{ message }] };
  }

  /** Starts listening on a free port of 127.0.0.1; `url` is then the API root with `/v1`. */
  protected async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  inject(fault: Fault, options?: FaultOptions): void {
    this.faults.inject(fault, options);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.stats.requests++;
    const url = new URL(req.url ?? '/', 'http://sim');
    const segments = url.pathname.split('/').filter(Boolean);
    if (segments[0] !== 'v1') throw new HttpError(404, `no route ${url.pathname}`);
    const method = req.method ?? 'GET';
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!key || !this.keys.has(key)) throw new HttpError(401, 'Unauthorized: a valid bearer API key is required');
    const fault = this.faults.take(method, segments[1] ?? '');
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      res.writeHead(fault.status, headers);
      res.end(JSON.stringify(this.errorBody(fault.message ?? `injected ${fault.status}`)));
      return;
    }
    if (this.rateLimited(key)) {
      this.stats.rateLimited++;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify(this.errorBody('Too many requests')));
      return;
    }
    const body = method === 'POST' || method === 'PATCH' ? await readJson(req) : undefined;
    // Committed late whether or not the client still waits: its timeout does not undo the change.
    if (fault?.kind === 'slow-commit') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    const answer = this.route(method, segments.slice(1), url.searchParams, body);
    if (fault?.kind === 'reset-after-commit') {
      res.destroy();
      return;
    }
    if (fault?.kind === 'hang-after-commit') {
      this.hanging.add(res); // committed; the answer never comes
      return;
    }
    if (res.destroyed) return; // the client gave up (a slow commit): the change stands all the same
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  }

  private rateLimited(key: string): boolean {
    const limit = this.rest.ratePerSecond ?? 0;
    if (!limit) return false;
    const second = Math.floor(Date.now() / 1000);
    const window = this.windows.get(key);
    if (!window || window.second !== second) {
      this.windows.set(key, { second, count: 1 });
      return false;
    }
    return ++window.count > limit;
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (!chunks.length) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}
