import type { HubEvent } from '@plantgraph/connector-sdk';
import type { Tx } from '../../infrastructure/database/database.js';
import { readEvents, retainedRange } from '../../core/event-outbox.js';

/**
 * Where the connectors' relay reads the hub's events: everything committed, in commit order, from a
 * cursor, so a relay that stops (a crash, a lost lease) resumes where it left off and misses nothing.
 */
export interface DeliveryEventSource {
  /**
   * Events of `types` after position `after`, in order, from at most `limit` events read; `through`
   * is the position read up to (the cursor to store, also when nothing matched).
   */
  read(
    em: Tx,
    after: string,
    types: readonly string[],
    limit: number,
  ): Promise<{ events: HubEvent[]; through: string; oldest: string }>;
  /** The position of the latest event: a new connector starts there, not with the hub's history. */
  head(em: Tx): Promise<string>;
}

/**
 * The transactional outbox (`core/event-outbox.ts`) as the relay's source: each event is written by
 * its change's transaction and numbered densely in commit order (`seq`), so the relay's cursor is a
 * `seq`. Events older than the outbox's retention are pruned: a connector left disabled longer than
 * that misses them (the relay reports the gap).
 */
export class OutboxDeliveryEvents implements DeliveryEventSource {
  async head(em: Tx): Promise<string> {
    return String((await retainedRange(em)).newest);
  }

  async read(em: Tx, after: string, types: readonly string[], limit: number) {
    const rows = await readEvents(em, Number(after), limit);
    const { oldest } = await retainedRange(em);
    const wanted = new Set(types);
    const events: HubEvent[] = rows
      .filter((r) => wanted.has(String(r.data.type)))
      .map((r) => ({
        id: r.eventId,
        seq: String(r.seq),
        type: String(r.data.type),
        key: String(r.data.key ?? r.data.number ?? r.data.id ?? ''),
        path: typeof r.data.path === 'string' ? r.data.path : null,
        record: typeof r.data.record === 'string' ? r.data.record : typeof r.data.id === 'string' ? r.data.id : null,
        at: typeof r.data.at === 'string' ? r.data.at : new Date().toISOString(),
      }));
    return { events, through: rows.length ? String(rows.at(-1)!.seq) : after, oldest: String(oldest) };
  }
}
