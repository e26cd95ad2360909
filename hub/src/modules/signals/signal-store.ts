import type { EquipmentState } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { Subjects } from '../../subjects.js';
import { judgeStateReport, type CurrentState } from '../equipment/equipment-state.js';
import type { DomainEvent } from '../../core/unit-of-work.js';
import type { ParsedSignal } from './signal-parsing.js';

export interface StoredBatch {
  events: DomainEvent[];
  /** Signals naming a path no equipment has. */
  unknown: ParsedSignal[];
  /** Equipment that got new rows (for live OEE). */
  equipmentIds: Set<string>;
  stored: number;
  duplicates: number;
}

type StateSignal = Extract<ParsedSignal, { kind: 'state' }>;
type CountSignal = Extract<ParsedSignal, { kind: 'count' | 'cycle' }>;
type ValueSignal = Extract<ParsedSignal, { kind: 'value' }>;
interface EquipmentRow extends CurrentState { id: string; path: string }

const json = (rows: unknown[]) => JSON.stringify(rows);
const keyOf = (source: string, sequence: number | string) => `${source}\u0000${sequence}`;

/**
 * Writes one batch of signals inside the caller's transaction with a fixed number of statements,
 * whatever the batch size: each kind is one multi-row statement over a JSON array
 * (`jsonb_to_recordset`), which both PostgreSQL and PGlite plan once. Counts and process values
 * are de-duplicated by their unique (source, sequence) key; states are judged in arrival order
 * against the equipment rows, locked in path order so that replicas writing the same equipment
 * take turns.
 */
export async function storeSignals(tx: Tx, subjects: Subjects, signals: ParsedSignal[]): Promise<StoredBatch> {
  const batch: StoredBatch = { events: [], unknown: [], equipmentIds: new Set(), stored: 0, duplicates: 0 };
  const paths = [...new Set(signals.map((s) => s.path))].sort();
  const lock = signals.some((s) => s.kind === 'state') ? 'for update' : '';
  const rows = await tx.execute<(EquipmentRow & { state_reason: string | null; state_since: Date; last_reported_at: Date | null })[]>(
    `select id, path, state, state_reason, state_since, last_reported_at from equipment
     where path in (select jsonb_array_elements_text(?::jsonb)) order by path ${lock}`, [json(paths)]);
  const equipment = new Map(rows.map((r) => [r.path, { id: r.id, path: r.path, state: r.state, stateReason: r.state_reason, stateSince: new Date(r.state_since), lastReportedAt: r.last_reported_at && new Date(r.last_reported_at) }]));

  const known: ParsedSignal[] = [];
  for (const s of signals) (equipment.has(s.path) ? known : batch.unknown).push(s);
  const states = known.filter((s): s is StateSignal => s.kind === 'state');
  const counts = known.filter((s): s is CountSignal => s.kind === 'count' || s.kind === 'cycle');
  const values = known.filter((s): s is ValueSignal => s.kind === 'value');
  await storeStates(tx, subjects, states, equipment, batch);
  await storeCounts(tx, subjects, counts, equipment, batch);
  await storeValues(tx, subjects, values, equipment, batch);
  return batch;
}

async function storeStates(tx: Tx, subjects: Subjects, signals: StateSignal[], equipment: Map<string, EquipmentRow>, batch: StoredBatch): Promise<void> {
  if (!signals.length) return;
  const seen = new Set((await tx.execute<{ source: string; sequence: string }[]>(
    `select source, sequence::text as sequence from equipment_state_change
     where (source, sequence) in (select source, sequence from jsonb_to_recordset(?::jsonb) as k(source text, sequence bigint))`,
    [json(signals.map((s) => ({ source: s.source, sequence: s.sequence })))])).map((r) => keyOf(r.source, r.sequence)));
  const inserts: Record<string, unknown>[] = [];
  const changed = new Map<string, EquipmentRow>();
  const announce: { insert: number; equipment: EquipmentRow }[] = [];
  for (const s of signals) {
    const key = keyOf(s.source, s.sequence);
    if (seen.has(key)) {
      batch.duplicates++;
      continue;
    }
    seen.add(key);
    const eq = equipment.get(s.path)!;
    const { newer, repeat } = judgeStateReport(eq, s.state, s.reason, s.at);
    inserts.push({ equipment_id: eq.id, path: eq.path, state: s.state, previous_state: newer ? eq.state : null, reason: s.reason, at: s.at.toISOString(), source: s.source, sequence: s.sequence, applied: newer });
    batch.equipmentIds.add(eq.id);
    if (!newer) continue;
    eq.lastReportedAt = s.at;
    changed.set(eq.id, eq);
    if (repeat) continue;
    Object.assign(eq, { state: s.state, stateReason: s.reason, stateSince: s.at });
    announce.push({ insert: inserts.length - 1, equipment: eq });
  }
  if (!inserts.length) return;
  const ids = await tx.execute<{ id: string }[]>(
    `insert into equipment_state_change (equipment_id, path, state, previous_state, reason, at, source, sequence, applied)
     select * from jsonb_to_recordset(?::jsonb) as r(equipment_id uuid, path text, state text, previous_state text, reason text, at timestamptz, source text, sequence bigint, applied boolean)
     returning id::text as id`, [json(inserts)]);
  batch.stored += inserts.length;
  await tx.execute(
    `update equipment e set state = u.state, state_reason = u.reason, state_since = u.since, last_reported_at = u.last, updated_at = now()
     from jsonb_to_recordset(?::jsonb) as u(id uuid, state text, reason text, since timestamptz, last timestamptz) where e.id = u.id`,
    [json([...changed.values()].map((e) => ({ id: e.id, state: e.state, reason: e.stateReason ?? null, since: e.stateSince.toISOString(), last: e.lastReportedAt?.toISOString() ?? null })))]);
  for (const { insert, equipment: eq } of announce) {
    const row = inserts[insert]!;
    batch.events.push({
      subject: subjects.equipmentStateChanged(eq.path), type: 'EquipmentStateChanged',
      data: {
        id: ids[insert]!.id, equipmentId: eq.id, path: eq.path, state: row.state as EquipmentState, previousState: row.previous_state,
        reason: row.reason, at: row.at, source: row.source, sequence: String(row.sequence), applied: true,
      },
    });
  }
}

async function storeCounts(tx: Tx, subjects: Subjects, signals: CountSignal[], equipment: Map<string, EquipmentRow>, batch: StoredBatch): Promise<void> {
  if (!signals.length) return;
  const rows = signals.map((s) => ({ equipment_id: equipment.get(s.path)!.id, path: s.path, at: s.at.toISOString(), good: s.good, scrap: s.scrap, rework: s.rework, cycle_time_ms: s.cycleTimeMs, source: s.source, sequence: s.sequence }));
  const inserted = await insertNew(tx, 'production_count',
    'equipment_id uuid, path text, at timestamptz, good int, scrap int, rework int, cycle_time_ms double precision, source text, sequence bigint', rows, batch);
  for (const r of rows) {
    if (!inserted.has(keyOf(r.source, r.sequence))) continue;
    batch.equipmentIds.add(r.equipment_id);
    batch.events.push({
      subject: subjects.productionCounted(r.path), type: 'ProductionCounted',
      data: { path: r.path, good: r.good, scrap: r.scrap, rework: r.rework, cycleTimeMs: r.cycle_time_ms, at: r.at },
    });
  }
}

async function storeValues(tx: Tx, subjects: Subjects, signals: ValueSignal[], equipment: Map<string, EquipmentRow>, batch: StoredBatch): Promise<void> {
  if (!signals.length) return;
  const rows = signals.map((s) => ({ equipment_id: equipment.get(s.path)!.id, path: s.path, name: s.name, value: s.value, unit: s.unit, at: s.at.toISOString(), source: s.source, sequence: s.sequence }));
  const inserted = await insertNew(tx, 'process_value', 'equipment_id uuid, path text, name text, value double precision, unit text, at timestamptz, source text, sequence bigint', rows, batch);
  for (const r of rows) {
    if (!inserted.has(keyOf(r.source, r.sequence))) continue;
    batch.events.push({ subject: subjects.processValueReported(r.path), type: 'ProcessValueReported', data: { path: r.path, name: r.name, value: r.value, unit: r.unit, at: r.at } });
  }
}

/** Inserts the rows whose (source, sequence) is new; returns their keys. */
async function insertNew(tx: Tx, table: string, columns: string, rows: { source: string; sequence: number }[], batch: StoredBatch): Promise<Set<string>> {
  const names = columns.split(',').map((c) => c.trim().split(' ')[0]).join(', ');
  const inserted = await tx.execute<{ source: string; sequence: string }[]>(
    `insert into ${table} (${names}) select * from jsonb_to_recordset(?::jsonb) as r(${columns})
     on conflict (source, sequence) do nothing returning source, sequence::text as sequence`, [json(rows)]);
  batch.stored += inserted.length;
  batch.duplicates += rows.length - inserted.length;
  return new Set(inserted.map((r) => keyOf(r.source, r.sequence)));
}
