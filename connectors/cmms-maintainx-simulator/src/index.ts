// A simulator of MaintainX's public REST API (v1) for tests and the demo: node:http on 127.0.0.1, bearer
// keys, cursor paging (`limit`, `cursor`, `nextCursor`), `externalData` on work orders, `skipWebhook`
// accepted, a per-key rate limit answering 429 with Retry-After, and fault injection (5xx, 429, a reset
// or no answer after the change is committed). No MaintainX code: the shapes follow the public docs.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultPlan, type Fault, type FaultOptions } from './faults.js';
import { type NewWorkOrder, SimStore, STATUSES, type SimWorkOrder, type WorkOrderStatus } from './store.js';

export type { Fault, FaultOptions, NewWorkOrder, SimWorkOrder, WorkOrderStatus };
/** The fault plan on its own, for other REST simulators (the QMS one) to share. */
export { FaultPlan };
export type { FaultMatch } from './faults.js';
export { SimStore, STATUSES };
export type { SimAsset, SimMeter, SimMeterReading } from './store.js';

export interface MaintainXSimulatorOptions {
  /** Bearer keys let in; default one key, `sim-api-key`. */
  apiKeys?: string[];
  /** Requests per second per key before 429 (with Retry-After: 1); 0 (default): no limit. */
  ratePerSecond?: number;
  /** Largest `limit` a list answers with (MaintainX pages at 100). */
  maxPageSize?: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class MaintainXSimulator {
  readonly store = new SimStore();
  readonly faults = new FaultPlan();
  readonly stats = { requests: 0, rateLimited: 0, posts: 0 };
  url = '';
  private readonly server: http.Server;
  private readonly keys: Set<string>;
  private readonly windows = new Map<string, { second: number; count: number }>();
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor(private readonly options: MaintainXSimulatorOptions) {
    this.keys = new Set(options.apiKeys ?? ['sim-api-key']);
    this.server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        const message = error instanceof Error ? error.message : String(error);
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message }] }));
      });
    });
  }

  static async start(options: MaintainXSimulatorOptions = {}): Promise<MaintainXSimulator> {
    const simulator = new MaintainXSimulator(options);
    await new Promise<void>((resolve) => simulator.server.listen(0, '127.0.0.1', resolve));
    simulator.url = `http://127.0.0.1:${(simulator.server.address() as AddressInfo).port}/v1`;
    return simulator;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- control (what a maintenance planner does in MaintainX) ---

  inject(fault: Fault, options?: FaultOptions): void {
    this.faults.inject(fault, options);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  addAsset(id: number, name: string) {
    return this.store.addAsset(id, name);
  }

  addMeter(id: number, assetId: number, name: string, unit: string) {
    return this.store.addMeter(id, assetId, name, unit);
  }

  openWorkOrder(input: NewWorkOrder): SimWorkOrder {
    return this.store.createWorkOrder(input);
  }

  setStatus(id: number, status: WorkOrderStatus): SimWorkOrder {
    const order = this.store.updateWorkOrder(id, { status });
    if (!order) throw new Error(`no work order ${id}`);
    return order;
  }

  /** Work orders created through the API with PlantGraph's key in `externalData`. */
  workOrdersFromHub(): SimWorkOrder[] {
    return [...this.store.workOrders.values()].filter((w) => w.externalData?.plantgraphKey);
  }

  readingsOf(meterId: number) {
    return this.store.readings.filter((r) => r.meterId === meterId);
  }

  // --- HTTP ---

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.stats.requests++;
    const url = new URL(req.url ?? '/', 'http://sim');
    const segments = url.pathname.split('/').filter(Boolean);
    if (segments[0] !== 'v1') throw new HttpError(404, `no route ${url.pathname}`);
    const method = req.method ?? 'GET';
    const resource = segments[1] ?? '';
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!key || !this.keys.has(key)) throw new HttpError(401, 'Unauthorized: a valid bearer API key is required');
    const fault = this.faults.take(method, resource);
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      res.writeHead(fault.status, headers);
      res.end(JSON.stringify({ errors: [{ message: fault.message ?? `injected ${fault.status}` }] }));
      return;
    }
    if (this.rateLimited(key)) {
      this.stats.rateLimited++;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ errors: [{ message: 'Too many requests' }] }));
      return;
    }
    const body = method === 'POST' || method === 'PATCH' ? await readJson(req) : undefined;
    const answer = this.route(method, segments.slice(1), url.searchParams, body);
    if (fault?.kind === 'reset-after-commit') {
      res.destroy();
      return;
    }
    if (fault?.kind === 'hang-after-commit') {
      this.hanging.add(res); // committed; the answer never comes
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  }

  private rateLimited(key: string): boolean {
    const limit = this.options.ratePerSecond ?? 0;
    if (!limit) return false;
    const second = Math.floor(Date.now() / 1000);
    const window = this.windows.get(key);
    if (!window || window.second !== second) {
      this.windows.set(key, { second, count: 1 });
      return false;
    }
    return ++window.count > limit;
  }

  private route(method: string, path: string[], query: URLSearchParams, body: unknown) {
    const [resource, id, sub] = path;
    const limit = Math.min(Number(query.get('limit') ?? 100) || 100, this.options.maxPageSize ?? 100);
    const cursor = query.get('cursor');
    if (method === 'GET' && resource === 'assets' && !id)
      return ok(page('assets', [...this.store.assets.values()], (a) => [a.id], limit, cursor));
    if (method === 'GET' && resource === 'workorders' && !id) {
      const since = query.get('updatedAtGte');
      const asset = query.get('assetId');
      const orders = [...this.store.workOrders.values()]
        .filter((w) => !since || w.updatedAt >= since)
        .filter((w) => !asset || w.assetId === Number(asset));
      return ok(page('workOrders', orders, (w) => [w.updatedAt, w.id], limit, cursor));
    }
    if (method === 'GET' && resource === 'workorders' && id) {
      const order = this.store.workOrders.get(Number(id));
      if (!order) throw new HttpError(404, `Work order ${id} not found`);
      return ok({ workOrder: order });
    }
    if (method === 'POST' && resource === 'workorders' && !id) {
      this.stats.posts++;
      const order = this.store.createWorkOrder(workOrderInput(body, this.store));
      return { status: 201, body: { id: order.id } };
    }
    if (method === 'PATCH' && resource === 'workorders' && id) {
      const change = body as Partial<NewWorkOrder>;
      if (change.status !== undefined && !STATUSES.includes(change.status))
        throw new HttpError(400, `status must be one of ${STATUSES.join(', ')}`);
      const order = this.store.updateWorkOrder(Number(id), change);
      if (!order) throw new HttpError(404, `Work order ${id} not found`);
      return ok({ id: order.id });
    }
    if (method === 'GET' && resource === 'meters' && id && sub === 'readings') {
      if (!this.store.meters.has(Number(id))) throw new HttpError(404, `Meter ${id} not found`);
      // Newest first: the cursor keys are negated so that the keyset still ascends.
      const readings = this.readingsOf(Number(id)).sort((a, b) => b.date.localeCompare(a.date) || b.id - a.id);
      return ok(page('meterReadings', readings, (r) => [-Date.parse(r.date), -r.id], limit, cursor));
    }
    if (method === 'POST' && resource === 'meterreadings') {
      this.stats.posts++;
      const inputs = readingInputs(body, this.store);
      return { status: 201, body: { ids: this.store.addReadings(inputs).map((r) => r.id) } };
    }
    throw new HttpError(404, `no route ${method} /v1/${path.join('/')}`);
  }
}

const ok = (body: unknown) => ({ status: 200, body });

type SortKey = (string | number)[];

/** Keyset paging: items sorted by `key`, the cursor the key of the last item of the previous page. */
function page<T>(name: string, items: T[], key: (item: T) => SortKey, limit: number, cursor: string | null) {
  const sorted = items.map((item) => ({ item, k: key(item) })).sort((a, b) => compare(a.k, b.k));
  let after: SortKey | null = null;
  if (cursor) {
    try {
      after = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as SortKey;
    } catch {
      throw new HttpError(400, 'cursor is not one this API gave out');
    }
  }
  const rest = after ? sorted.filter((s) => compare(s.k, after) > 0) : sorted;
  const taken = rest.slice(0, limit);
  const nextCursor =
    rest.length > limit ? Buffer.from(JSON.stringify(taken.at(-1)!.k), 'utf8').toString('base64url') : null;
  return { [name]: taken.map((t) => t.item), nextCursor };
}

function compare(a: SortKey, b: SortKey): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

function workOrderInput(body: unknown, store: SimStore): NewWorkOrder {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.title !== 'string' || !b.title.trim()) throw new HttpError(400, 'title is required');
  if (b.assetId != null && !store.assets.has(Number(b.assetId)))
    throw new HttpError(400, `assetId ${String(b.assetId)} does not exist`);
  return {
    title: b.title,
    description: typeof b.description === 'string' ? b.description : null,
    priority: (b.priority as NewWorkOrder['priority']) ?? 'NONE',
    assetId: b.assetId == null ? null : Number(b.assetId),
    categories: Array.isArray(b.categories) ? (b.categories as string[]) : [],
    dueDate: typeof b.dueDate === 'string' ? b.dueDate : null,
    externalData: (b.externalData as Record<string, unknown>) ?? null,
  };
}

function readingInputs(body: unknown, store: SimStore) {
  if (!Array.isArray(body) || !body.length) throw new HttpError(400, 'the body must be a non-empty array of readings');
  return body.map((r: Record<string, unknown>, i) => {
    if (!store.meters.has(Number(r.meterId))) throw new HttpError(400, `[${i}].meterId ${String(r.meterId)} not found`);
    if (typeof r.value !== 'number' || !Number.isFinite(r.value))
      throw new HttpError(400, `[${i}].value must be a number`);
    const date = typeof r.date === 'string' ? r.date : new Date().toISOString();
    return { meterId: Number(r.meterId), value: r.value, date };
  });
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
