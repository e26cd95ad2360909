// A simulator of the neutral QMS REST API that @plantgraph/connector-qms-rest documents, for tests and the
// demo: keyset paging by `updatedAt` (`limit`, `cursor`, `nextCursor`), an `externalReference` filter, and
// from the simulator kit bearer keys, a per-key rate limit (429 with Retry-After) and fault injection (5xx,
// 429, a reset or no answer after the change is committed). A quality engineer's acts (investigate, close,
// CAPA, lot decisions) are methods.

import { type Fault, type FaultOptions, HttpError, RestSimulator } from '@plantgraph/simulator-kit';
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

const SEVERITIES = ['Minor', 'Major', 'Critical'];

export class QmsSimulator extends RestSimulator {
  readonly store = new QmsStore();

  private constructor(private readonly options: QmsSimulatorOptions) {
    super({ apiKeys: options.apiKeys ?? ['sim-qms-key'], ratePerSecond: options.ratePerSecond });
  }

  static async start(options: QmsSimulatorOptions = {}): Promise<QmsSimulator> {
    const simulator = new QmsSimulator(options);
    await simulator.listen();
    return simulator;
  }

  protected override errorBody(message: string): unknown {
    return { message };
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

  protected route(method: string, path: string[], query: URLSearchParams, body: unknown) {
    const [resource = '', id] = path;
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
    throw new HttpError(404, `no route ${method} /v1/${resource}${id ? `/${id}` : ''}`);
  }
}

function notFound(what: string, id: string): never {
  throw new HttpError(404, `${what} ${id} not found`);
}

/** Keyset paging by (updatedAt, id), oldest change first; the cursor is the last item's key. */
function pageOf<T extends { updatedAt: string; id: string }>(items: T[], limit: number, cursor: string | null) {
  const keyOf = (t: T) => `${t.updatedAt}|${t.id.padStart(24, ' ')}`;
  let after = '';
  if (cursor) {
    after = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!after.includes('|')) throw new HttpError(400, 'cursor is not one this API gave out');
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
  if (typeof b.title !== 'string' || !b.title.trim()) throw new HttpError(422, 'title is required');
  if (b.severity !== undefined && !SEVERITIES.includes(b.severity as string))
    throw new HttpError(422, `severity must be one of ${SEVERITIES.join(', ')}`);
  if (b.values !== undefined && !Array.isArray(b.values)) throw new HttpError(422, 'values must be a list');
  const { id: _id, number: _n, status: _s, createdAt: _c, updatedAt: _u, closedAt: _a, capa: _p, ...input } = b;
  return input as NewNonconformance;
}
