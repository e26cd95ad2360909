import { executeBound, type Tx } from '../../infrastructure/database/database.js';
import type { Subjects } from '../../subjects.js';
import type { DomainEvent } from '../../core/event-outbox.js';
import {
  type EquipmentStateRow,
  type JudgedStateReports,
  stateChangedData,
  toStateRow,
} from '../equipment/equipment-state.js';

const json = (rows: unknown[]) => JSON.stringify(rows);
const keyOf = (source: string, sequence: number | string) => `${source}\u0000${sequence}`;

/**
 * One round trip before the batch's states are judged: locks the equipment rows at `paths` in path
 * order (so that writers of the same equipment take turns without deadlocks, as `lockEquipment`),
 * and finds which of the state signals `keys` the history already holds. Both read the statement's
 * one snapshot, taken before any wait for a lock: a duplicate committed by another replica while
 * this one waited is not seen, and the history's unique (source, sequence) refuses the batch
 * instead (`isDuplicateStateSignal`: the ingest stores it again at once).
 */
export async function lockForStateSignals(
  tx: Tx,
  paths: string[],
  keys: { source: string; sequence: number }[],
): Promise<{ equipment: Map<string, EquipmentStateRow>; seen: Set<string> }> {
  const rows = await executeBound<{
    id: string | null;
    path: string;
    state: string;
    state_reason: string | null;
    state_since: Date;
    last_reported_at: Date | null;
    source: string | null;
    sequence: string | null;
  }>(
    tx,
    `with locked as (select id, path, state, state_reason, state_since, last_reported_at from equipment
                      where path in (select jsonb_array_elements_text($1::jsonb))
                      order by path for update)
     select id::text as id, path, state, state_reason, state_since, last_reported_at,
            null::text as source, null::text as sequence from locked
     union all
     select null, null, null, null, null, null, source::text, sequence::text from equipment_state_change
      where (source, sequence) in (select source, sequence from jsonb_to_recordset($2::jsonb) as k(source text, sequence bigint))`,
    [json([...new Set(paths)].sort()), json(keys)],
  );
  const equipment = new Map<string, EquipmentStateRow>();
  const seen = new Set<string>();
  for (const r of rows)
    if (r.id === null) seen.add(keyOf(r.source!, r.sequence!));
    else equipment.set(r.path, toStateRow(r as Parameters<typeof toStateRow>[0]));
  return { equipment, seen };
}

/** Whether a batch failed on a state signal the history already holds (see `lockForStateSignals`). */
export function isDuplicateStateSignal(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string };
  return (
    e?.code === '23505' &&
    (e.constraint === 'equipment_state_change_source_sequence_unique' ||
      /equipment_state_change_source_sequence_unique/.test(e.message ?? ''))
  );
}

/**
 * Writes judged state signals and the batch's events in one statement (one round trip): the history
 * rows (ids drawn in report order, so rows of the same time keep their arrival order), the current
 * states, and every event of the batch into the outbox, numbered as `recordEvents` does: the
 * announced state changes first, each with its history row's id, then `others` in their order. The
 * head row is updated after the history rows are written (its increment counts the events, which
 * read the written rows), so the head's lock, held to the commit, covers only the outbox insert.
 * It is the batch's last statement, as `recordEvents` must be.
 */
export async function writeStateSignals(
  tx: Tx,
  subjects: Subjects,
  judged: JudgedStateReports,
  others: DomainEvent[],
): Promise<void> {
  const announced = new Set(judged.announce);
  const reports = judged.inserts.map((row, n) => {
    if (!announced.has(n)) return { ...row, n, subject: null, event: null };
    const event = { type: 'EquipmentStateChanged', ...stateChangedData('', row) };
    return { ...row, n, subject: subjects.equipmentStateChanged(row.path), event };
  });
  const rest = others.map((e, n) => {
    const data: Record<string, unknown> = { type: e.type, ...(typeof e.data === 'function' ? e.data() : e.data) };
    return { n, subject: e.subject, type: e.type, path: typeof data.path === 'string' ? data.path : null, data };
  });
  await executeBound(
    tx,
    `with report as materialized (
       select nextval('equipment_state_change_id_seq'::regclass) as id, r.*
         from (select * from jsonb_to_recordset($1::jsonb) as r(n int, equipment_id uuid, path text, state text,
                 previous_state text, reason text, at timestamptz, source text, sequence bigint, applied boolean,
                 subject text, event jsonb) order by n) r),
     written as (
       insert into equipment_state_change (id, equipment_id, path, state, previous_state, reason, at, source, sequence, applied)
       select id, equipment_id, path, state, previous_state, reason, at, source, sequence, applied from report
       returning id),
     moved as (
       update equipment e set state = u.state, state_reason = u.reason, state_since = u.since,
              last_reported_at = u.last, updated_at = now()
         from jsonb_to_recordset($2::jsonb) as u(id uuid, state text, reason text, since timestamptz, last timestamptz)
        where e.id = u.id),
     announced as materialized (
       select 0 as part, r.n, r.subject, 'EquipmentStateChanged' as type, r.path,
              r.event || jsonb_build_object('id', r.id::text) as data
         from written w join report r on r.id = w.id where r.event is not null
       union all
       select 1, x.n, x.subject, x.type, x.path, x.data
         from jsonb_to_recordset($3::jsonb) as x(n int, subject text, type text, path text, data jsonb)),
     head as (
       update event_outbox_head set last_seq = last_seq + (select count(*) from announced)
        where id = 1 and exists (select 1 from announced)
       returning last_seq - (select count(*) from announced) as base)
     insert into event_outbox (seq, subject, type, path, data)
     select head.base + row_number() over (order by a.part, a.n), a.subject, a.type, a.path, a.data
       from head, announced a`,
    [json(reports), json(judged.changed), json(rest)],
  );
}
