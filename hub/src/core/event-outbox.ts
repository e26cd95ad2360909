import { executeBound, type Tx } from '../infrastructure/database/database.js';
import type { BusMessage } from '../infrastructure/bus/message-bus.js';
import { badUserInput } from './faults.js';

/** An event to announce once its transaction commits. */
export interface DomainEvent {
  subject: string;
  /** Past tense, e.g. `EquipmentCreated`. */
  type: string;
  /** A function when the data holds values assigned at commit (generated ids). */
  data: Record<string, unknown> | (() => Record<string, unknown>);
}

/** An event as stored in the outbox once sequenced: what the relay publishes and subscribers replay. */
export interface SequencedEvent {
  seq: number;
  eventId: string;
  subject: string;
  data: Record<string, unknown>;
}

interface OutboxRow {
  seq: string | number;
  event_id: string;
  subject: string;
  type: string;
  data: Record<string, unknown> | string;
}

/** Events sequenced per round; a backlog after an outage goes out in rounds of this size. */
export const SEQUENCE_ROUND = 1000;

/**
 * The transactional outbox (ADR 0010): events are rows written by the transaction whose change they
 * announce, so a committed change always has its events and a rolled-back one never does. After the
 * commit they get their `seq`, dense and in commit order (see `sequenceEvents`), and are relayed to
 * the bus (`event-relay.ts`); subscribers fill any gap from here by `seq` (`event-feed.ts`).
 */
export async function recordEvents(tx: Tx, events: DomainEvent[]): Promise<void> {
  if (!events.length) return;
  const rows = events.map((e) => {
    const data: Record<string, unknown> = { type: e.type, ...(typeof e.data === 'function' ? e.data() : e.data) };
    return { subject: e.subject, type: e.type, path: typeof data.path === 'string' ? data.path : null, data };
  });
  await executeBound(
    tx,
    `insert into event_outbox (subject, type, path, data)
       select subject, type, path, data from jsonb_to_recordset($1::jsonb)
         as x(subject text, type text, path text, data jsonb)`,
    [JSON.stringify(rows)],
  );
}

/**
 * Gives the committed, unsequenced events their sequence numbers, continuing the head's count
 * without gaps. The head row's lock makes replicas take turns; the events' ids give the order, and
 * since writers of one equipment take its row lock (and allocate ids under it), an equipment's
 * events are sequenced in the order they were committed.
 */
export async function sequenceEvents(tx: Tx, limit = SEQUENCE_ROUND): Promise<SequencedEvent[]> {
  const [head] = await tx.execute<{ last_seq: string }[]>(
    'select last_seq from event_outbox_head where id = 1 for update',
  );
  const last = Number(head!.last_seq);
  const rows = await tx.execute<OutboxRow[]>(
    `update event_outbox o set seq = ? + p.rn
       from (select id, row_number() over (order by id) as rn
               from (select id from event_outbox where seq is null order by id limit ?) pending) p
      where o.id = p.id
      returning o.seq, o.event_id, o.subject, o.type, o.data`,
    [last, limit],
  );
  if (!rows.length) return [];
  await tx.execute('update event_outbox_head set last_seq = ? where id = 1', [last + rows.length]);
  return rows.map(toEvent).sort((a, b) => a.seq - b.seq);
}

/** Whether committed events wait for their numbers (a probe on the partial index, no lock). */
export async function hasUnsequencedEvents(em: Tx): Promise<boolean> {
  const [row] = await em.execute<{ pending: boolean }[]>(
    'select exists (select 1 from event_outbox where seq is null) as pending',
  );
  return row?.pending === true;
}

/** Sequenced events after `after`, in order, up to `through` and at most `limit`. */
export async function readEvents(
  em: Tx,
  after: number,
  limit: number,
  through = Number.MAX_SAFE_INTEGER,
): Promise<SequencedEvent[]> {
  const rows = await em.execute<OutboxRow[]>(
    `select seq, event_id, subject, type, data from event_outbox
      where seq > ? and seq <= ? order by seq limit ?`,
    [after, through, limit],
  );
  return rows.map(toEvent);
}

/** The sequence numbers still kept: the oldest and the newest (0 and 0 when none were ever sequenced). */
export async function retainedRange(em: Tx): Promise<{ oldest: number; newest: number }> {
  const [row] = await em.execute<{ oldest: string | null; newest: string }[]>(
    `select (select min(seq) from event_outbox where seq is not null) as oldest,
            (select last_seq from event_outbox_head where id = 1) as newest`,
  );
  const newest = Number(row!.newest);
  return { oldest: row!.oldest === null ? newest + 1 : Number(row!.oldest), newest };
}

/** Removes sequenced events older than the retention, a bounded number per call. */
export async function pruneEvents(em: Tx, olderThanMs: number, limit = 10_000): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(
    `delete from event_outbox where id in (
       select id from event_outbox where seq is not null and created_at < now() - ? * interval '1 millisecond'
        order by id limit ?) returning id`,
    [olderThanMs, limit],
  );
  return rows.length;
}

/** The bus message of a sequenced event: its data with the sequence number and the cursor. */
export function toMessage(event: SequencedEvent): BusMessage {
  return { subject: event.subject, data: { ...event.data, seq: event.seq, cursor: encodeCursor(event.seq) } };
}

/** Cursors are opaque to clients; inside they are the sequence number. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`ev:${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string, argument = 'after'): number {
  const m = /^ev:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m)
    throw badUserInput(
      `${argument}: "${cursor}" is not an event cursor; pass the \`cursor\` of an event you received.`,
    );
  return Number(m[1]);
}

function toEvent(row: OutboxRow): SequencedEvent {
  const data = typeof row.data === 'string' ? (JSON.parse(row.data) as Record<string, unknown>) : row.data;
  return { seq: Number(row.seq), eventId: row.event_id, subject: row.subject, data };
}
