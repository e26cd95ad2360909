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

/**
 * The one writer of equipment state, for the `setEquipmentState` mutation and the signal ingest
 * (whose store function calls the same one): `plantgraph_store_states` (ADR 0062) judges the reports
 * in order against the equipment rows, which the caller holds locked in this transaction, and writes
 * the history and the current states in the server. Every report joins the history and counts there
 * by its own time; one older than the newest report so far is late and does not change the current
 * state (before its first report a machine's state is only what it was created with, so any first
 * report is newer, even one dated before its creation: a backfilled shift, ADR 0023); a signal seen
 * before changes nothing, and a report by hand repeating the current state is a no-op. Returns the
 * `EquipmentStateChanged` events of the reports that changed a current state, to record.
 */
export async function recordStateReports(tx: Tx, subjects: Subjects, reports: StateReport[]): Promise<DomainEvent[]> {
  const [row] = await executeBound<{ events: DomainEvent[] | string }>(
    tx,
    `select coalesce(json_agg(json_build_object('subject', e.subject, 'type', 'EquipmentStateChanged', 'data', e.data)),
                     '[]'::json) as events
       from plantgraph_store_states($1::jsonb, $2, true) as f, unnest(f.subjects, f.data) as e(subject, data)`,
    [JSON.stringify(reports.map(stateReportInput)), subjects.equipmentStateChanged('')],
  );
  return typeof row!.events === 'string' ? (JSON.parse(row!.events) as DomainEvent[]) : row!.events;
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

/** A state report as the store functions read it (`at` with milliseconds, as its event carries it). */
export function stateReportInput(r: StateReport): Record<string, unknown> {
  return {
    k: 'state',
    path: r.path,
    state: r.state,
    reason: r.reason,
    at: r.at.toISOString(),
    source: r.source,
    sequence: r.sequence,
  };
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
