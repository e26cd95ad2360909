import { EquipmentState } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { CountTotals, Interval, StateCategory, StateTotal } from './oee-calculation.js';

/**
 * The state and count sums OEE is computed from, aggregated by the database: a shift of a busy
 * machine has millions of count rows and hundreds of thousands of state reports, and loading them
 * into the hub made its memory grow with the shift (issue 11). Each query returns one row per
 * piece (and category and reason), whatever the number of rows behind it; counts are read per
 * minute from `production_count_minute` (ADR 0010). The rules are those of `computeOee`
 * (`stateCategory`, `stateTotals`, `countTotals`); `test/oee-aggregation.e2e.test.ts` checks
 * that both give the same figures.
 */

/**
 * One machine's state history is cut to this window: the state at `from`, then its changes. Every
 * report counts at its own time, late and backfilled ones too (ADR 0023): `applied` only says
 * whether a report changed the current state when it arrived.
 */
export interface MachineWindow {
  equipmentId: string;
  window: Interval;
}

/** One figure to compute: a machine's planned operating time in a window (a shift, an order, …). */
export interface OeePiece {
  equipmentId: string;
  operating: Interval[];
  microstopThresholdMs: number;
}

type StateRow = { k: number; category: StateCategory; reason: string | null; ms: string; occurrences: number };
type CountRow = { k: number; good: string; scrap: string; rework: string };

export interface PieceTotals {
  states: StateTotal[];
  counts: CountTotals;
}

const RUNNING = `'${EquipmentState.Running}'`;
const PLANNED = [EquipmentState.Maintenance, EquipmentState.Offline].map((s) => `'${s}'`).join(', ');
const UNPLANNED_STOP = [EquipmentState.Down].map((s) => `'${s}'`).join(', ');
/** Instants as whole milliseconds, as the hub's `Date`s see them. */
const MS = (column: string) => `floor(extract(epoch from ${column}) * 1000)::bigint`;

/**
 * Each machine's state intervals in its window, exactly as the ORM path built them: repeated
 * reports of the same state and reason are one interval, which lasts until the next change or the
 * window's end. The time of each interval inside each piece's operating intervals is summed per
 * category (running, planned, microstop, unplanned stop, delay) and reason.
 */
const STATE_TOTALS = `
with machine as (
  select * from jsonb_to_recordset(?::jsonb) as m(e uuid, f timestamptz, t timestamptz)
), operating as (
  select * from jsonb_to_recordset(?::jsonb) as o(k int, e uuid, f bigint, t bigint, threshold bigint)
), point as (
  select m.e, m.t as window_to, s.state, s.reason, m.f as at, 0::bigint as id
  from machine m cross join lateral (
    select c.state, c.reason from equipment_state_change c
    where c.equipment_id = m.e and c.at <= m.f order by c.at desc, c.id desc limit 1
  ) s
  union all
  -- "offset 0" keeps this a scan of each machine's index range, not a join over the whole history.
  select m.e, m.t, c.state, c.reason, c.at, c.id
  from machine m cross join lateral (
    select c.state, c.reason, c.at, c.id from equipment_state_change c
    where c.equipment_id = m.e and c.at > m.f and c.at < m.t order by c.at, c.id offset 0
  ) c
), marked as (
  select *, row_number() over w as n, lag(state) over w as previous_state, lag(reason) over w as previous_reason
  from point window w as (partition by e order by at, id)
), change as (
  select e, id, state, reason, at, window_to from marked
  where n = 1 or state is distinct from previous_state or reason is distinct from previous_reason
), state_interval as (
  select e, id, state, reason, ${MS('at')} as f,
         ${MS('coalesce(lead(at) over (partition by e order by at, id), window_to)')} as t
  from change
), in_piece as (
  select o.k, i.e, i.id, i.state, i.reason, i.t - i.f as length, o.threshold,
         sum(least(i.t, o.t) - greatest(i.f, o.f)) as in_pot, min(greatest(i.f, o.f)) as first_in_pot
  from state_interval i join operating o on o.e = i.e and o.f < i.t and o.t > i.f
  group by o.k, i.e, i.id, i.state, i.reason, i.f, i.t, o.threshold
), categorized as (
  -- One occurrence per interval: in the piece(s) holding its first planned moment (see pieceTotals).
  select k, in_pot,
         case when first_in_pot = min(first_in_pot) over (partition by e, id) then 1 else 0 end as occurrence,
         case when state = ${RUNNING} then 'running'
              when state in (${PLANNED}) then 'planned'
              when length < threshold then 'microstop'
              when state in (${UNPLANNED_STOP}) then 'unplannedStop'
              else 'delay' end as category,
         case when state = ${RUNNING} or state in (${PLANNED}) or length < threshold then null
              else coalesce(reason, state) end as reason
  from in_piece where in_pot > 0
)
select k, category, reason, sum(in_pot)::text as ms, sum(occurrence)::int as occurrences
from categorized group by k, category, reason`;

/**
 * Parts counted inside each piece's operating intervals (merged, so no count is taken twice): whole
 * minutes from `production_count_minute`, which triggers keep equal to the rows, and the minutes at
 * an interval's ends from the rows themselves. Each segment is summed by its own index scan.
 */
const COUNT_TOTALS = `
select o.k, coalesce(sum(c.good), 0)::text as good, coalesce(sum(c.scrap), 0)::text as scrap,
       coalesce(sum(c.rework), 0)::text as rework
from jsonb_to_recordset(?::jsonb) as o(k int, e uuid, f timestamptz, t timestamptz, minutes boolean)
cross join lateral (
  select sum(p.good) as good, sum(p.scrap) as scrap, sum(p.rework) as rework from production_count p
  where not o.minutes and p.equipment_id = o.e and p.at >= o.f and p.at < o.t
  union all
  select sum(m.good), sum(m.scrap), sum(m.rework) from production_count_minute m
  where o.minutes and m.equipment_id = o.e and m.minute >= o.f and m.minute < o.t
) c
group by o.k`;

/**
 * The state and count sums of every piece, in the pieces' order, in two statements. A machine's
 * pieces are the rows of one grouping (its shifts, days, orders): a state interval's time is split
 * among them, and it occurs once, in the piece holding its first moment of planned operating time,
 * so a stop across a shift change is one stop however the pieces are grouped (docs/oee.md). Pieces
 * that overlap (two orders at once) each hold that moment and each count it.
 */
export async function pieceTotals(em: Tx, machines: MachineWindow[], pieces: OeePiece[]): Promise<PieceTotals[]> {
  const totals: PieceTotals[] = pieces.map(() => ({ states: [], counts: { good: 0, scrap: 0, rework: 0 } }));
  if (!pieces.length) return totals;
  const operating = pieces.flatMap((p, k) =>
    p.operating.map((o) => ({
      k,
      e: p.equipmentId,
      f: o.from.getTime(),
      t: o.to.getTime(),
      threshold: p.microstopThresholdMs,
    })),
  );
  const counted = countSegments(pieces);
  const windows = machines.map((m) => ({
    e: m.equipmentId,
    f: m.window.from.toISOString(),
    t: m.window.to.toISOString(),
  }));
  // One short transaction: PostgreSQL's JIT compiler, which its cost estimates for the
  // JSON arguments would switch on, takes longer (about 0.6 s) than these statements themselves.
  const [states, counts] = await em.fork().transactional(async (tx) => {
    await tx.execute('set local jit = off');
    return [
      operating.length
        ? await tx.execute<StateRow[]>(STATE_TOTALS, [JSON.stringify(windows), JSON.stringify(operating)])
        : [],
      counted.length ? await tx.execute<CountRow[]>(COUNT_TOTALS, [JSON.stringify(counted)]) : [],
    ] as const;
  });
  for (const row of states)
    totals[row.k]!.states.push({
      category: row.category,
      reason: row.reason,
      ms: Number(row.ms),
      occurrences: row.occurrences,
    });
  for (const row of counts)
    totals[row.k]!.counts = { good: Number(row.good), scrap: Number(row.scrap), rework: Number(row.rework) };
  return totals;
}

/**
 * Parts each machine counted in its intervals (good, scrap, rework), in the pieces' order, in one
 * statement: the sums of `pieceTotals` without the states, for figures that need only the counts.
 */
export async function countTotals(
  em: Tx,
  pieces: { equipmentId: string; operating: Interval[] }[],
): Promise<CountTotals[]> {
  const totals: CountTotals[] = pieces.map(() => ({ good: 0, scrap: 0, rework: 0 }));
  const counted = countSegments(pieces);
  if (!counted.length) return totals;
  const rows = await em.fork().transactional(async (tx) => {
    await tx.execute('set local jit = off'); // as in pieceTotals
    return tx.execute<CountRow[]>(COUNT_TOTALS, [JSON.stringify(counted)]);
  });
  for (const row of rows)
    totals[row.k] = { good: Number(row.good), scrap: Number(row.scrap), rework: Number(row.rework) };
  return totals;
}

/** Each piece's intervals, merged, as whole minutes and the pieces of minutes at their ends. */
function countSegments(pieces: { equipmentId: string; operating: Interval[] }[]) {
  return pieces.flatMap((p, k) =>
    merged(p.operating)
      .flatMap(byMinutes)
      .map((s) => ({
        k,
        e: p.equipmentId,
        f: new Date(s.f).toISOString(),
        t: new Date(s.t).toISOString(),
        minutes: s.minutes,
      })),
  );
}

/** Intervals joined where they overlap or touch, so each instant is in at most one. */
function merged(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.from.getTime() - b.from.getTime());
  const result: Interval[] = [];
  for (const i of sorted) {
    const last = result[result.length - 1];
    if (last && i.from.getTime() <= last.to.getTime()) {
      if (i.to > last.to) last.to = i.to;
    } else result.push({ from: i.from, to: i.to });
  }
  return result;
}

const MINUTE = 60_000;

/** An interval as its whole minutes (if any) and the pieces of minutes before and after them. */
function byMinutes(i: Interval): { f: number; t: number; minutes: boolean }[] {
  const from = i.from.getTime();
  const to = i.to.getTime();
  const first = Math.ceil(from / MINUTE) * MINUTE;
  const last = Math.floor(to / MINUTE) * MINUTE;
  if (first >= last) return [{ f: from, t: to, minutes: false }];
  return [
    { f: from, t: first, minutes: false },
    { f: first, t: last, minutes: true },
    { f: last, t: to, minutes: false },
  ].filter((s) => s.t > s.f);
}
