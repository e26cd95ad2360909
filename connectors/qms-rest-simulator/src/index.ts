// A simulator of the neutral QMS REST API that @plantgraph/connector-qms-rest documents, for tests and the
// demo: node:http on 127.0.0.1, bearer keys, keyset paging by `updatedAt` (`limit`, `cursor`, `nextCursor`),
// `externalReference` filter, a per-key rate limit answering 429 with Retry-After, and the MaintainX
// simulator's fault plan (5xx, 429, a reset or no answer after the change is committed). A quality engineer's
// acts (investigate, close, CAPA, lot decisions) are methods.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Fault, type FaultOptions, FaultPlan } from '@plantgraph/cmms-maintainx-simulator';
import { type NewNonconformance, QmsStore, type SimDisposition, type SimNonconformance } from './store.js';

export type { Fault, FaultOptions, NewNonconformance, SimDisposition, SimNonconformance };
export { QmsStore };
export type { SimCapa } from './store.js';

export interface QmsSimulatorOptions {
  /** Bearer keys let in; default one key, `sim-qms-key`. */
  apiKeys?: string[];
  /** Requests per second per key before 429 (Retry-After: 1); 0 (default): no limit. */
  ratePerSecond?: number;
  /** Largest `limit` a list answers with. */
  maxPageSize?: number;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const SEVERITIES = ['Minor', 'Major', 'Critical'];

export class QmsSimulator {
  readonly store = new QmsStore();
  readonly faults = new FaultPlan();
  readonly stats = { requests: 0, rateLimited: 0, posts: 0 };
  url = '';
  private readonly server: http.Server;
  private readonly keys: Set<string>;
  private readonly perSecond = new Map<string, { second: number; count: number }>();
  private readonly held = new Set<http.ServerResponse>();

  private constructor(private readonly options: QmsSimulatorOptions) {
    this.keys = new Set(options.apiKeys ?? ['sim-qms-key']);
    this.server = http.createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        const status = error instanceof Refusal ? error.status : 500;
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: error instanceof Error ? error.message : String(error) }));
      });
    });
  }

  static async start(options: QmsSimulatorOptions = {}): Promise<QmsSimulator> {
    const simulator = new QmsSimulator(options);
    await new Promise<void>((resolve) => simulator.server.listen(0, '127.0.0.1', resolve));
    simulator.url = `http://127.0.0.1:${(simulator.server.address() as AddressInfo).port}/v1`;
    return simulator;
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  inject(fault: Fault, options?: FaultOptions): void {
    this.faults.inject(fault, options);
  }

  // --- what a quality engineer does in the QMS ---

  /** Records raised from the hub (a PlantGraph source). */
  fromHub(): SimNonconformance[] {
    return [...this.store.nonconformances.values()].filter((n) => n.source?.system === 'plantgraph');
  }

  investigate(id: string, capaReference?: string): SimNonconformance {
    const capa = capaReference
      ? { reference: capaReference, status: 'Open' as const, closedAt: null, closure: null }
      : null;
    return this.store.updateNonconformance(id, { status: 'Investigation', ...(capa ? { capa } : {}) });
  }

  closeCapa(id: string, closure: string): SimNonconformance {
    const record = this.store.nonconformances.get(id);
    if (!record?.capa) throw new Error(`nonconformance ${id} has no CAPA`);
    const capa = { ...record.capa, status: 'Closed' as const, closedAt: this.store.stamp(), closure };
    return this.store.updateNonconformance(id, { capa });
  }

  closeRecord(id: string, closure: string): SimNonconformance {
    return this.store.updateNonconformance(id, { status: 'Closed', closedAt: this.store.stamp(), closure });
  }

  decide(lotNumber: string, decision: 'Hold' | 'Release' | 'Reject', reason: string, by = 'qa.lead'): SimDisposition {
    const signature = { signer: by, meaning: 'Approval', signedAt: new Date().toISOString() };
    return this.store.decide({ lotNumber, decision, reason, decidedBy: by, signature });
  }

  // --- HTTP ---

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.stats.requests++;
    const url = new URL(req.url ?? '/', 'http://sim');
    const [version, resource = '', id] = url.pathname.split('/').filter(Boolean);
    if (version !== 'v1') throw new Refusal(404, `no route ${url.pathname}`);
    const method = req.method ?? 'GET';
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!key || !this.keys.has(key)) throw new Refusal(401, 'a valid bearer API key is required');
    const fault = this.faults.take(method, resource);
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      res.writeHead(fault.status, headers);
      res.end(JSON.stringify({ message: fault.message ?? `injected ${fault.status}` }));
      return;
    }
    if (this.overLimit(key)) {
      this.stats.rateLimited++;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ message: 'rate limit exceeded' }));
      return;
    }
    const body = method === 'POST' ? await bodyOf(req) : undefined;
    const answer = this.answer(method, resource, id, url.searchParams, body);
    if (fault?.kind === 'reset-after-commit') return void res.destroy();
    if (fault?.kind === 'hang-after-commit') return void this.held.add(res); // committed, never answered
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  }

  private overLimit(key: string): boolean {
    const limit = this.options.ratePerSecond ?? 0;
    if (!limit) return false;
    const second = Math.floor(Date.now() / 1000);
    const window = this.perSecond.get(key);
    if (window?.second !== second) {
      this.perSecond.set(key, { second, count: 1 });
      return false;
    }
    return ++window.count > limit;
  }

  private answer(method: string, resource: string, id: string | undefined, query: URLSearchParams, body: unknown) {
    const limit = Math.min(Number(query.get('limit') ?? 100) || 100, this.options.maxPageSize ?? 500);
    const since = query.get('updatedSince');
    const cursor = query.get('cursor');
    if (resource === 'nonconformances' && method === 'GET' && !id) {
      const reference = query.get('externalReference');
      const items = [...this.store.nonconformances.values()]
        .filter((n) => !since || n.updatedAt >= since)
        .filter((n) => !reference || n.externalReference === reference);
      return { status: 200, body: pageOf(items, limit, cursor) };
    }
    if (resource === 'nonconformances' && method === 'GET' && id)
      return { status: 200, body: this.store.nonconformances.get(id) ?? notFound('nonconformance', id) };
    if (resource === 'nonconformances' && method === 'POST' && !id) {
      this.stats.posts++;
      return { status: 201, body: this.store.createNonconformance(nonconformanceInput(body)) };
    }
    if (resource === 'lot-dispositions' && method === 'GET' && !id) {
      const items = [...this.store.dispositions.values()].filter((d) => !since || d.updatedAt >= since);
      return { status: 200, body: pageOf(items, limit, cursor) };
    }
    if (resource === 'lot-dispositions' && method === 'GET' && id)
      return { status: 200, body: this.store.dispositions.get(id) ?? notFound('lot disposition', id) };
    throw new Refusal(404, `no route ${method} /v1/${resource}${id ? `/${id}` : ''}`);
  }
}

function notFound(what: string, id: string): never {
  throw new Refusal(404, `${what} ${id} not found`);
}

/** Keyset paging by (updatedAt, id), oldest change first; the cursor is the last item's key. */
function pageOf<T extends { updatedAt: string; id: string }>(items: T[], limit: number, cursor: string | null) {
  const keyOf = (t: T) => `${t.updatedAt}|${t.id.padStart(24, ' ')}`;
  let after = '';
  if (cursor) {
    after = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!after.includes('|')) throw new Refusal(400, 'cursor is not one this API gave out');
  }
  const rest = items
    .map((item) => ({ item, key: keyOf(item) }))
    .filter((x) => x.key > after)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const taken = rest.slice(0, limit);
  const nextCursor = rest.length > limit ? Buffer.from(taken.at(-1)!.key, 'utf8').toString('base64url') : null;
  return { items: taken.map((x) => x.item), nextCursor };
}

function nonconformanceInput(body: unknown): NewNonconformance {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.title !== 'string' || !b.title.trim()) throw new Refusal(422, 'title is required');
  if (b.severity !== undefined && !SEVERITIES.includes(b.severity as string))
    throw new Refusal(422, `severity must be one of ${SEVERITIES.join(', ')}`);
  if (b.values !== undefined && !Array.isArray(b.values)) throw new Refusal(422, 'values must be a list');
  const { id: _id, number: _n, status: _s, createdAt: _c, updatedAt: _u, closedAt: _a, capa: _p, ...input } = b;
  return input as NewNonconformance;
}

async function bodyOf(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (!chunks.length) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Refusal(400, 'the body is not JSON');
  }
}
