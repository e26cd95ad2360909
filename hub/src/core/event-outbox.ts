import { randomUUID } from 'node:crypto';
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

/** Events relayed per round; a backlog after an outage goes out in rounds of this size. */
export const SEQUENCE_ROUND = 1000;

/**
 * The transactional outbox (ADR 0010): events are rows written by the transaction whose change they
 * announce, so a committed change always has its events and a rolled-back one never does. They are
 * numbered here, in that transaction (ADR 0051): the update of the head row takes its lock, which
 * is held until the commit, so writers take turns from this statement to their commit and `seq` is
 * dense and in commit order; a rolled-back writer gives its numbers back with its update. The relay
 * publishes them after the commit (`event-relay.ts`); subscribers fill any gap from here by `seq`
 * (`event-feed.ts`). **Call it last in the transaction**: whatever runs after it holds every other
 * event writer up, and a lock taken after it could deadlock with a writer that waits for the head.
 */
export async function recordEvents(tx: Tx, events: DomainEvent[]): Promise<void> {
  if (!events.length) return;
  // The data as one JSON array, the short columns as arrays: PostgreSQL then parses each event's JSON
  // once, where `jsonb_to_recordset` over whole rows cost it half its work per event (ADR 0055). The
  // ids are made here, so the numbered events are known without reading the rows back (ADR 0058).
  const data: Record<string, unknown>[] = [];
  const eventIds: string[] = [];
  const subjects: string[] = [];
  const types: string[] = [];
  const paths: (string | null)[] = [];
  for (const e of events) {
    const d: Record<string, unknown> = { type: e.type, ...(typeof e.data === 'function' ? e.data() : e.data) };
    data.push(d);
    eventIds.push(randomUUID());
    subjects.push(e.subject);
    types.push(e.type);
    paths.push(typeof d.path === 'string' ? d.path : null);
  }
  const [head] = await executeBound<{ base: string | number }>(
    tx,
    `with head as (update event_outbox_head set last_seq = last_seq + $6 where id = 1 returning last_seq - $6 as base),
          written as (insert into event_outbox (seq, event_id, subject, type, path, data)
            select head.base + x.n, x.event_id, x.subject, x.type, x.path, x.data
              from head, rows from (jsonb_array_elements($1::jsonb), unnest($2::uuid[]), unnest($3::text[]),
                                    unnest($4::text[]), unnest($5::text[]))
                         with ordinality as x(data, event_id, subject, type, path, n))
     select base from head`,
    [JSON.stringify(data), eventIds, subjects, types, paths, events.length],
  );
  const recorded = collectors.get(tx);
  if (!recorded) return;
  const base = Number(head!.base);
  for (let i = 0; i < data.length; i++)
    recorded.push({ seq: base + i + 1, eventId: eventIds[i]!, subject: subjects[i]!, data: data[i]! });
}

/** The events `recordEvents` numbered in a transaction whose caller asked for them (`collectEvents`). */
const collectors = new WeakMap<Tx, SequencedEvent[]>();

/**
 * Collects the events `recordEvents` numbers in `tx`, as they are stored. Once the transaction has
 * committed, they are what the relay would read back (`EventRelay.wake`); if it rolls back, their
 * numbers go to the next writer, so they must then be dropped.
 */
export function collectEvents(tx: Tx): SequencedEvent[] {
  const recorded: SequencedEvent[] = [];
  collectors.set(tx, recorded);
  return recorded;
}

/**
 * Numbers committed events that were written without a number (rows of an older hub during an
 * upgrade, or inserted by hand), after the head's count, in the order of their ids, under the head
 * row's lock like `recordEvents`. Returns how many it numbered.
 */
export async function sequenceEvents(tx: Tx, limit = SEQUENCE_ROUND): Promise<number> {
  const [head] = await tx.execute<{ last_seq: string }[]>(
    'select last_seq from event_outbox_head where id = 1 for update',
  );
  const last = Number(head!.last_seq);
  const rows = await tx.execute<{ seq: string }[]>(
    `update event_outbox o set seq = ? + p.rn
       from (select id, row_number() over (order by id) as rn
               from (select id from event_outbox where seq is null order by id limit ?) pending) p
      where o.id = p.id
      returning o.seq`,
    [last, limit],
  );
  if (rows.length) await tx.execute('update event_outbox_head set last_seq = ? where id = 1', [last + rows.length]);
  return rows.length;
}

/** What the relay has to do (one statement, no lock): events to publish, events without a number. */
export async function relayBacklog(em: Tx): Promise<{ unrelayed: boolean; unsequenced: boolean }> {
  const [row] = await em.execute<{ unrelayed: boolean; unsequenced: boolean }[]>(
    `select (select last_seq from event_outbox_head where id = 1)
              > (select relayed_seq from event_outbox_relay where id = 1) as unrelayed,
            exists (select 1 from event_outbox where seq is null) as unsequenced`,
  );
  return { unrelayed: row?.unrelayed === true, unsequenced: row?.unsequenced === true };
}

/**
 * Claims the next committed sequence numbers to publish, up to `limit`, by moving the relays' mark
 * past them, without reading the events: one statement, so one round trip and its own transaction.
 * The mark's row lock makes replicas take turns, so each number is claimed once. The numbers up to
 * the head's committed count are all committed (numbers are handed out under the head's lock held
 * to the commit, ADR 0051), so claiming up to it never claims an event still to commit. Returns the
 * claimed numbers as `after < seq <= through` (`after === through` when there were none); the relay
 * takes the events it holds from its own commits and reads the others (`readEvents`).
 */
export async function claimEvents(em: Tx, limit = SEQUENCE_ROUND): Promise<{ after: number; through: number }> {
  const [row] = await em.execute<{ after: string; through: string }[]>(
    `with mark as (select relayed_seq from event_outbox_relay where id = 1 for update),
          claim as (select mark.relayed_seq as after,
                           greatest(mark.relayed_seq, least(head.last_seq, mark.relayed_seq + ?)) as through
                      from mark, event_outbox_head head where head.id = 1),
          moved as (update event_outbox_relay r set relayed_seq = claim.through
                      from claim where r.id = 1 and claim.through > claim.after)
     select after, through from claim`,
    [limit],
  );
  return { after: Number(row!.after), through: Number(row!.through) };
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

/** Removes relayed events older than the retention, a bounded number per call. */
export async function pruneEvents(em: Tx, olderThanMs: number, limit = 10_000): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(
    `delete from event_outbox where id in (
       select id from event_outbox
        where seq <= (select relayed_seq from event_outbox_relay where id = 1) and created_at < now() - ? * interval '1 millisecond'
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
