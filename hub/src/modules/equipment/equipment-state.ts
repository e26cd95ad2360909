import { Equipment, EquipmentState, EquipmentStateChange, STATES_REQUIRING_REASON } from '@plantgraph/schema';
import type { Subjects } from '../../subjects.js';
import type { Tx } from '../../infrastructure/database/database.js';
import type { DomainEvent } from '../../core/unit-of-work.js';

export interface StateReport {
  state: EquipmentState;
  reason?: string | null;
  at: Date;
  source: string;
  sequence?: number | null;
}

/** Why a state report cannot be accepted, or null. Shared by the mutation and the signal path. */
export function stateReportProblem(state: EquipmentState, reason: string | null | undefined): string | null {
  if (STATES_REQUIRING_REASON.has(state) && !reason?.trim()) return `a ${state} state needs a reason code (e.g. JAM, NO_MATERIAL).`;
  if (reason && reason.length > 128) return `the reason must be at most 128 characters (got ${reason.length}).`;
  return null;
}

/** The part of an equipment row a state report is judged against. */
export interface CurrentState { state: EquipmentState; stateReason?: string | null; stateSince: Date; lastReportedAt?: Date | null }

/**
 * Whether a report is `newer` than the newest report so far (else it is late: kept in the history,
 * not applied) and whether it `repeat`s the current state. One rule for the API and the signal path.
 */
export function judgeStateReport(current: CurrentState, state: EquipmentState, reason: string | null, at: Date): { newer: boolean; repeat: boolean } {
  return {
    newer: at.getTime() >= (current.lastReportedAt ?? current.stateSince).getTime(),
    repeat: current.state === state && (current.stateReason ?? null) === reason,
  };
}

/**
 * Records a reported state in the history and makes it the current state, unless it is older
 * than the newest report (a late signal) or repeats the current state. Every signal is kept, so
 * the history does not depend on which replica took which signal; repeating the current state
 * through the API is a no-op. The caller holds the equipment row lock. Returns the event to
 * publish after commit, or null when the current state did not change.
 */
export function applyStateReport(tx: Tx, subjects: Subjects, equipment: Equipment, report: StateReport): DomainEvent | null {
  const reason = report.reason?.trim() || null;
  const { newer, repeat } = judgeStateReport(equipment, report.state, reason, report.at);
  const isSignal = report.sequence != null;
  if (newer && repeat && !isSignal) return null;
  const change = tx.create(EquipmentStateChange, {
    equipment, path: equipment.path, state: report.state, previousState: newer ? equipment.state : null,
    reason, at: report.at, source: report.source, sequence: isSignal ? String(report.sequence) : null, applied: newer,
  });
  if (newer) equipment.lastReportedAt = report.at;
  if (!newer || repeat) return null;
  equipment.state = report.state;
  equipment.stateReason = reason;
  equipment.stateSince = report.at;
  return {
    subject: subjects.equipmentStateChanged(equipment.path),
    type: 'EquipmentStateChanged',
    data: () => ({
      id: change.id, equipmentId: equipment.id, path: change.path, state: change.state, previousState: change.previousState,
      reason: change.reason, at: change.at.toISOString(), source: change.source, sequence: change.sequence, applied: true,
    }),
  };
}

/** The GraphQL shape of an `EquipmentStateChanged` event payload. */
export interface EquipmentStateChangedEvent {
  id: string; equipmentId: string; path: string; state: EquipmentState; previousState: EquipmentState | null;
  reason: string | null; at: string; source: string; sequence: string | null; applied: boolean;
}

export function stateChangeFromEvent(e: EquipmentStateChangedEvent): EquipmentStateChange {
  return Object.assign(Object.create(EquipmentStateChange.prototype) as EquipmentStateChange, {
    ...e, at: new Date(e.at), equipment: { id: e.equipmentId },
  });
}
