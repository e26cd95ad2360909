import { type EquipmentState, EquipmentStateChange, STATES_REQUIRING_REASON } from '@plantgraph/schema';
import type { Subjects } from '../../subjects.js';
import { executeBound, type Tx } from '../../infrastructure/database/database.js';
import type { DomainEvent } from '../../core/event-outbox.js';

/** A state an equipment reported (a signal) or was given by hand (the API). */
export interface StateReport {
  path: string;
  state: EquipmentState;
  /** Trimmed; null when none. */
  reason: string | null;
  at: Date;
  source: string;
  /** A signal's sequence, unique per source; null for a report by hand. */
  sequence: number | null;
}

/** Why a state report cannot be accepted, or null. Shared by the mutation and the signal path. */
export function stateReportProblem(state: EquipmentState, reason: string | null | undefined): string | null {
  if (STATES_REQUIRING_REASON.has(state) && !reason?.trim())
    return `a ${state} state needs a reason code (e.g. JAM, NO_MATERIAL).`;
  if (reason && reason.length > 128) return `the reason must be at most 128 characters (got ${reason.length}).`;
  return null;
}

/** The part of an equipment row a state report is judged against. */
export interface CurrentState {
  state: EquipmentState;
  stateReason?: string | null;
  stateSince: Date;
  lastReportedAt?: Date | null;
}
/** An equipment row as the state writer reads it. */
export interface EquipmentStateRow extends CurrentState {
  id: string;
  path: string;
}

/**
 * Whether a report is `newer` than the newest report so far (else it is late: it joins the state
 * history, and OEE, at its own time, but does not change the current state) and whether it
 * `repeat`s the current state. One rule for the API and the signal path. Before its first report a
 * machine's state is only what it was created with, so any first report is newer, even one dated
 * before the creation (a backfilled shift, ADR 0023).
 */
export function judgeStateReport(
  current: CurrentState,
  state: EquipmentState,
  reason: string | null,
  at: Date,
): { newer: boolean; repeat: boolean } {
  return {
    newer: current.lastReportedAt == null || at.getTime() >= current.lastReportedAt.getTime(),
    repeat: current.state === state && (current.stateReason ?? null) === reason,
  };
}

const json = (rows: unknown[]) => JSON.stringify(rows);
const keyOf = (source: string, sequence: number | string) => `${source}\u0000${sequence}`;

/**
 * Reads the equipment rows at `paths` (one statement), locked in path order when `forUpdate`, so
 * that writers of the same equipment (API calls, replicas' ingests) take turns without deadlocks.
 */
export async function lockEquipment(
  tx: Tx,
  paths: string[],
  forUpdate = true,
): Promise<Map<string, EquipmentStateRow>> {
  const rows = await executeBound<EquipmentStateDbRow>(
    tx,
    `select id, path, state, state_reason, state_since, last_reported_at from equipment
     where path in (select jsonb_array_elements_text($1::jsonb)) order by path ${forUpdate ? 'for update' : ''}`,
    [json([...new Set(paths)].sort())],
  );
  return new Map(rows.map((r) => [r.path, toStateRow(r)]));
}

/** The columns of `equipment` the state writer reads, as the driver gives them. */
export interface EquipmentStateDbRow {
  id: string;
  path: string;
  state: EquipmentState;
  state_reason: string | null;
  state_since: Date;
  last_reported_at: Date | null;
}

export function toStateRow(r: EquipmentStateDbRow): EquipmentStateRow {
  return {
    id: r.id,
    path: r.path,
    state: r.state,
    stateReason: r.state_reason,
    stateSince: new Date(r.state_since),
    lastReportedAt: r.last_reported_at && new Date(r.last_reported_at),
  };
}

export interface RecordedStates {
  /** `EquipmentStateChanged` for each report that changed a current state, to publish after commit. */
  events: DomainEvent[];
  /** History rows written. */
  recorded: number;
  /** Signals already recorded (the same source and sequence). */
  duplicates: number;
  /** Equipment that got history rows. */
  equipmentIds: Set<string>;
}

/**
 * The one writer of equipment state, for the `setEquipmentState` mutation: whatever the number of
 * reports, at most two statements: one to find duplicates, one to write the history and the
 * equipment rows, as `judgeStateReports` decides. `equipment` holds the reports' rows, locked by the
 * caller in this transaction (`lockEquipment`); they are not modified. The signal ingest reads the
 * duplicates with its lock and writes the same way (`signal-store.ts`).
 */
export async function recordStateReports(
  tx: Tx,
  subjects: Subjects,
  equipment: ReadonlyMap<string, EquipmentStateRow>,
  reports: StateReport[],
): Promise<RecordedStates> {
  const signals = reports.filter((r) => r.sequence != null);
  const seen = signals.length
    ? await recordedSignals(
        tx,
        signals.map((s) => ({ source: s.source, sequence: s.sequence! })),
      )
    : new Set<string>();
  const judged = judgeStateReports(equipment, reports, seen);
  return {
    events: await writeStateReports(tx, subjects, judged),
    recorded: judged.inserts.length,
    duplicates: judged.duplicates,
    equipmentIds: judged.equipmentIds,
  };
}

/**
 * Writes judged reports in one statement: the history rows and the equipment rows' current states
 * (the history's ids come back in the rows' order). Returns the `EquipmentStateChanged` events of
 * the changes, to write into the outbox after it.
 */
export async function writeStateReports(
  tx: Tx,
  subjects: Subjects,
  judged: JudgedStateReports,
): Promise<DomainEvent[]> {
  if (!judged.inserts.length) return [];
  const ids = await executeBound<{ id: string }>(
    tx,
    `with moved as (
       update equipment e set state = u.state, state_reason = u.reason, state_since = u.since,
              last_reported_at = u.last, updated_at = now()
         from jsonb_to_recordset($2::jsonb) as u(id uuid, state text, reason text, since timestamptz, last timestamptz)
        where e.id = u.id)
     insert into equipment_state_change (equipment_id, path, state, previous_state, reason, at, source, sequence, applied)
     select * from jsonb_to_recordset($1::jsonb) as r(equipment_id uuid, path text, state text, previous_state text,
       reason text, at timestamptz, source text, sequence bigint, applied boolean)
     returning id::text as id`,
    [json(judged.inserts), json(judged.changed)],
  );
  return judged.announce.map((i) => stateChangedEvent(subjects, ids[i]!.id, judged.inserts[i]!));
}

/** The keys (`source`, `sequence`) of these signals already in the state history. */
async function recordedSignals(tx: Tx, keys: { source: string; sequence: number }[]): Promise<Set<string>> {
  const rows = await executeBound<{ source: string; sequence: string }>(
    tx,
    `select source, sequence::text as sequence from equipment_state_change
     where (source, sequence) in (select source, sequence from jsonb_to_recordset($1::jsonb) as k(source text, sequence bigint))`,
    [json(keys)],
  );
  return new Set(rows.map((r) => keyOf(r.source, r.sequence)));
}

/** What state reports do to the history and the current states, decided before anything is written. */
export interface JudgedStateReports {
  /** History rows to write, in report order. */
  inserts: StateChangeRow[];
  /** The new current state of each equipment whose newest report moved (the `equipment` row update). */
  changed: { id: string; state: EquipmentState; reason: string | null; since: string; last: string | null }[];
  /** Indexes of `inserts` that changed a current state: each is announced (`EquipmentStateChanged`). */
  announce: number[];
  duplicates: number;
  equipmentIds: Set<string>;
}

/**
 * Judges reports in order against the locked rows: every one is kept in the history (so it does not
 * depend on which replica took which signal) and counts there by its own time, a late one does not
 * change the current state, a signal seen before (`seen`, or earlier in `reports`) changes nothing,
 * and a report by hand repeating the current state is a no-op.
 */
export function judgeStateReports(
  equipment: ReadonlyMap<string, EquipmentStateRow>,
  reports: StateReport[],
  seen: Set<string>,
): JudgedStateReports {
  const judged: JudgedStateReports = { inserts: [], changed: [], announce: [], duplicates: 0, equipmentIds: new Set() };
  const current = new Map<string, EquipmentStateRow>();
  const moved = new Set<EquipmentStateRow>();
  for (const r of reports) {
    if (r.sequence != null) {
      const key = keyOf(r.source, r.sequence);
      if (seen.has(key)) {
        judged.duplicates++;
        continue;
      }
      seen.add(key);
    }
    let eq = current.get(r.path);
    if (!eq) {
      const row = equipment.get(r.path)!;
      eq = { ...row, stateReason: row.stateReason ?? null, lastReportedAt: row.lastReportedAt ?? null };
      current.set(r.path, eq);
    }
    const { newer, repeat } = judgeStateReport(eq, r.state, r.reason, r.at);
    if (r.sequence == null && newer && repeat) continue;
    judged.inserts.push({
      equipment_id: eq.id,
      path: eq.path,
      state: r.state,
      previous_state: newer ? eq.state : null,
      reason: r.reason,
      at: r.at.toISOString(),
      source: r.source,
      sequence: r.sequence,
      applied: newer,
    });
    judged.equipmentIds.add(eq.id);
    if (!newer) continue;
    eq.lastReportedAt = r.at;
    moved.add(eq);
    if (repeat) continue;
    Object.assign(eq, { state: r.state, stateReason: r.reason, stateSince: r.at });
    judged.announce.push(judged.inserts.length - 1);
  }
  judged.changed = [...moved].map((e) => ({
    id: e.id,
    state: e.state,
    reason: e.stateReason ?? null,
    since: e.stateSince.toISOString(),
    last: e.lastReportedAt?.toISOString() ?? null,
  }));
  return judged;
}

/** A row of `equipment_state_change` as written. */
export interface StateChangeRow {
  equipment_id: string;
  path: string;
  state: EquipmentState;
  previous_state: EquipmentState | null;
  reason: string | null;
  at: string;
  source: string;
  sequence: number | null;
  applied: boolean;
}

/** The GraphQL shape of an `EquipmentStateChanged` event payload. */
export interface EquipmentStateChangedEvent {
  id: string;
  equipmentId: string;
  path: string;
  state: EquipmentState;
  previousState: EquipmentState | null;
  reason: string | null;
  at: string;
  source: string;
  sequence: string | null;
  applied: boolean;
}

/** The one builder of `EquipmentStateChanged`: an applied change of the current state. */
function stateChangedEvent(subjects: Subjects, id: string, row: StateChangeRow): DomainEvent {
  const data: EquipmentStateChangedEvent = {
    id,
    equipmentId: row.equipment_id,
    path: row.path,
    state: row.state,
    previousState: row.previous_state,
    reason: row.reason,
    at: row.at,
    source: row.source,
    sequence: row.sequence == null ? null : String(row.sequence),
    applied: true,
  };
  return { subject: subjects.equipmentStateChanged(row.path), type: 'EquipmentStateChanged', data: { ...data } };
}

/**
 * A subscription's value, an instance of the entity class (type-graphql would construct one for
 * `@Root()` otherwise) whose fields are its own data properties: assigning them, or constructing
 * the entity, runs the ORM's property hooks for every event (issue 15's profile).
 */
export function stateChangeFromEvent(e: EquipmentStateChangedEvent): EquipmentStateChange {
  const change = { ...e, at: new Date(e.at), equipment: { id: e.equipmentId } };
  return Object.setPrototypeOf(change, EquipmentStateChange.prototype) as EquipmentStateChange;
}
