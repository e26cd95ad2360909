// A simulator of MaintainX's public REST API (v1) for tests and the demo: node:http on 127.0.0.1, bearer
// keys, cursor paging (`limit`, `cursor`, `nextCursor`), `externalData` on work orders, signed webhook
// calls for work order changes to registered URLs (none for a change made with `skipWebhook=true`), a
// per-key rate limit answering 429 with Retry-After, and fault injection (5xx, 429, a reset or no answer
// after the change is committed; a webhook call lost, repeated or delayed). No MaintainX code: the
// shapes follow the public docs.

import { type Fault, type FaultOptions, HttpError, RestSimulator } from '@plantgraph/simulator-kit';
import { type NewWorkOrder, SimStore, STATUSES, type SimWorkOrder, type WorkOrderStatus } from './store.js';
import { type WebhookDelivery, type WebhookFault, WebhookSender } from './webhooks.js';

export type { Fault, FaultOptions, NewWorkOrder, SimWorkOrder, WorkOrderStatus };
export { SimStore, STATUSES };
export type { SimAsset, SimMeter, SimMeterReading } from './store.js';
export { WEBHOOK_SIGNATURE_HEADER, type WebhookDelivery, type WebhookFault, type WebhookType } from './webhooks.js';

export interface MaintainXSimulatorOptions {
  /** Bearer keys let in; default one key, `sim-api-key`. */
  apiKeys?: string[];
  /** Requests per second per key before 429 (with Retry-After: 1); 0 (default): no limit. */
  ratePerSecond?: number;
  /** Largest `limit` a list answers with (MaintainX pages at 100). */
  maxPageSize?: number;
}

export class MaintainXSimulator extends RestSimulator {
  readonly store = new SimStore();
  readonly webhooks = new WebhookSender();

  private constructor(private readonly options: MaintainXSimulatorOptions) {
    super({ apiKeys: options.apiKeys ?? ['sim-api-key'], ratePerSecond: options.ratePerSecond });
    this.store.onWorkOrderChange = (type, order, skip) => this.webhooks.changed(type, order, skip);
  }

  static async start(options: MaintainXSimulatorOptions = {}): Promise<MaintainXSimulator> {
    const simulator = new MaintainXSimulator(options);
    await simulator.listen();
    return simulator;
  }

  // --- control (what a maintenance planner does in MaintainX) ---

  addAsset(id: number, name: string) {
    return this.store.addAsset(id, name);
  }

  addMeter(id: number, assetId: number, name: string, unit: string) {
    return this.store.addMeter(id, assetId, name, unit);
  }

  /** A webhook as set up in MaintainX's settings: work order changes are POSTed to `url`, signed with `secret`. */
  addWebhook(url: string, secret: string): void {
    this.webhooks.register(url, secret);
  }

  /** The next `times` webhook calls are lost, sent twice, or held back. */
  injectWebhookFault(fault: WebhookFault, times = 1): void {
    this.webhooks.inject(fault, times);
  }

  /** Webhook calls made so far, with the receiver's answers. */
  get webhookDeliveries(): WebhookDelivery[] {
    return this.webhooks.deliveries;
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

  /** Stops serving once the webhook calls under way are answered. */
  override async close(): Promise<void> {
    await this.webhooks.idle();
    await super.close();
  }

  readingsOf(meterId: number) {
    return this.store.readings.filter((r) => r.meterId === meterId);
  }

  // --- HTTP ---

  protected route(method: string, path: string[], query: URLSearchParams, body: unknown) {
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
      const order = this.store.createWorkOrder(workOrderInput(body, this.store), skipWebhook(query));
      return { status: 201, body: { id: order.id } };
    }
    if (method === 'PATCH' && resource === 'workorders' && id) {
      const change = body as Partial<NewWorkOrder>;
      if (change.status !== undefined && !STATUSES.includes(change.status))
        throw new HttpError(400, `status must be one of ${STATUSES.join(', ')}`);
      const order = this.store.updateWorkOrder(Number(id), change, skipWebhook(query));
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
const skipWebhook = (query: URLSearchParams) => query.get('skipWebhook') === 'true';

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
