import { executeBound, type Tx } from '../../infrastructure/database/database.js';
import type { Subjects } from '../../subjects.js';
import {
  type EquipmentStateRow,
  judgeStateReports,
  lockEquipment,
  writeStateReports,
} from '../equipment/equipment-state.js';
import { type DomainEvent, recordEvents } from '../../core/event-outbox.js';
import { lockForStateSignals } from './state-signal-write.js';
import type { ParsedSignal } from './signal-parsing.js';
import { equipmentRefusal, INSTALLATION } from './signal-admission.js';

export interface StoredBatch {
  /** The events of stored counts and process values. */
  events: DomainEvent[];
  /** Events written to the outbox: state changes, counts, values and dead letters. */
  written: number;
  /** Signals the admission rule refuses for their equipment (on NATS: no equipment has the path). */
  unknown: ParsedSignal[];
  /** Equipment that got new rows (for live OEE). */
  equipmentIds: Set<string>;
  stored: number;
  duplicates: number;
}

type StateSignal = Extract<ParsedSignal, { kind: 'state' }>;
type CountSignal = Extract<ParsedSignal, { kind: 'count' | 'cycle' }>;
type ValueSignal = Extract<ParsedSignal, { kind: 'value' }>;

const json = (rows: unknown[]) => JSON.stringify(rows);
const keyOf = (source: string, sequence: number | string) => `${source}\u0000${sequence}`;

export const emptyBatch = (): StoredBatch => ({
  events: [],
  written: 0,
  unknown: [],
  equipmentIds: new Set(),
  stored: 0,
  duplicates: 0,
});

/** The batch's dead letters: refused before the store (`leading`) and for unknown equipment. */
export interface DeadLetters {
  leading: DomainEvent[];
  unknown: (signal: ParsedSignal) => DomainEvent;
}

/**
 * Writes one batch of signals and its events inside the caller's transaction with a fixed number of
 * statements, whatever the batch size: each kind is one multi-row statement over a JSON array
 * (`jsonb_to_recordset`), which both PostgreSQL and PGlite plan once. Counts and process values
 * are de-duplicated by their unique (source, sequence) key; states are judged by the equipment
 * state writer's rule (`judgeStateReports`) against the equipment rows locked in path order, so
 * that replicas writing the same equipment take turns. A batch of states is three statements: the
 * lock, the history with the current states (`writeStateReports`), and every event of the batch,
 * numbered (`recordEvents`), last, as the outbox requires. Which state signals the history already
 * holds is looked up with the lock only when `lookForDuplicates` (ADR 0055): a stream re-delivers
 * rarely, so the first attempt assumes none, and a duplicate makes the history's unique
 * (source, sequence) refuse the batch (`isDuplicateStateSignal`), which the ingest then stores again
 * looking. The sender on NATS is the installation itself: of the admission rule, only the
 * equipment's existence applies (the parse was done before).
 */
export async function storeSignals(
  tx: Tx,
  subjects: Subjects,
  signals: ParsedSignal[],
  deadLetters: DeadLetters,
  lookForDuplicates = true,
): Promise<StoredBatch> {
  const batch = emptyBatch();
  if (!signals.length) {
    await recordEvents(tx, deadLetters.leading);
    batch.written = deadLetters.leading.length;
    return batch;
  }
  const stateKeys = signals.flatMap((s) => (s.kind === 'state' ? [{ source: s.source, sequence: s.sequence }] : []));
  const paths = signals.map((s) => s.path);
  const { equipment, seen } =
    stateKeys.length && lookForDuplicates
      ? await lockForStateSignals(tx, paths, stateKeys)
      : { equipment: await lockEquipment(tx, paths, stateKeys.length > 0), seen: new Set<string>() };
  const known: ParsedSignal[] = [];
  for (const s of signals)
    (equipmentRefusal(INSTALLATION, s.path, equipment.has(s.path)) ? batch.unknown : known).push(s);
  const states = known.filter((s): s is StateSignal => s.kind === 'state');
  const counts = known.filter((s): s is CountSignal => s.kind === 'count' || s.kind === 'cycle');
  const values = known.filter((s): s is ValueSignal => s.kind === 'value');
  await storeCounts(tx, subjects, counts, equipment, batch);
  await storeValues(tx, subjects, values, equipment, batch);
  const judged = judgeStateReports(equipment, states, seen);
  const stateEvents = await writeStateReports(tx, subjects, judged);
  batch.stored += judged.inserts.length;
  batch.duplicates += judged.duplicates;
  for (const id of judged.equipmentIds) batch.equipmentIds.add(id);
  const events = [...stateEvents, ...batch.events, ...deadLetters.leading, ...batch.unknown.map(deadLetters.unknown)];
  await recordEvents(tx, events);
  batch.written = events.length;
  return batch;
}

async function storeCounts(
  tx: Tx,
  subjects: Subjects,
  signals: CountSignal[],
  equipment: Map<string, EquipmentStateRow>,
  batch: StoredBatch,
): Promise<void> {
  if (!signals.length) return;
  const rows = signals.map((s) => ({
    equipment_id: equipment.get(s.path)!.id,
    path: s.path,
    at: s.at.toISOString(),
    good: s.good,
    scrap: s.scrap,
    rework: s.rework,
    cycle_time_ms: s.cycleTimeMs,
    source: s.source,
    sequence: s.sequence,
  }));
  const inserted = await insertNew(
    tx,
    'production_count',
    'equipment_id uuid, path text, at timestamptz, good int, scrap int, rework int, cycle_time_ms double precision, source text, sequence bigint',
    rows,
    batch,
  );
  for (const r of rows) {
    if (!inserted.has(keyOf(r.source, r.sequence))) continue;
    batch.equipmentIds.add(r.equipment_id);
    batch.events.push({
      subject: subjects.productionCounted(r.path),
      type: 'ProductionCounted',
      data: { path: r.path, good: r.good, scrap: r.scrap, rework: r.rework, cycleTimeMs: r.cycle_time_ms, at: r.at },
    });
  }
}

async function storeValues(
  tx: Tx,
  subjects: Subjects,
  signals: ValueSignal[],
  equipment: Map<string, EquipmentStateRow>,
  batch: StoredBatch,
): Promise<void> {
  if (!signals.length) return;
  const rows = signals.map((s) => ({
    equipment_id: equipment.get(s.path)!.id,
    path: s.path,
    name: s.name,
    value: s.value,
    unit: s.unit,
    at: s.at.toISOString(),
    source: s.source,
    sequence: s.sequence,
  }));
  const inserted = await insertNew(
    tx,
    'process_value',
    'equipment_id uuid, path text, name text, value double precision, unit text, at timestamptz, source text, sequence bigint',
    rows,
    batch,
  );
  for (const r of rows) {
    if (!inserted.has(keyOf(r.source, r.sequence))) continue;
    batch.events.push({
      subject: subjects.processValueReported(r.path),
      type: 'ProcessValueReported',
      data: { path: r.path, name: r.name, value: r.value, unit: r.unit, at: r.at },
    });
  }
}

/** Inserts the rows whose (source, sequence) is new; returns their keys. */
async function insertNew(
  tx: Tx,
  table: string,
  columns: string,
  rows: { source: string; sequence: number }[],
  batch: StoredBatch,
): Promise<Set<string>> {
  const names = columns
    .split(',')
    .map((c) => c.trim().split(' ')[0])
    .join(', ');
  const inserted = await executeBound<{ source: string; sequence: string }>(
    tx,
    `insert into ${table} (${names}) select * from jsonb_to_recordset($1::jsonb) as r(${columns})
     on conflict (source, sequence) do nothing returning source, sequence::text as sequence`,
    [json(rows)],
  );
  batch.stored += inserted.length;
  batch.duplicates += rows.length - inserted.length;
  return new Set(inserted.map((r) => keyOf(r.source, r.sequence)));
}
