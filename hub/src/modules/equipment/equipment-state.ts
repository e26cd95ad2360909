import { Equipment, EquipmentState, EquipmentStateChange, STATES_REQUIRING_REASON } from '@plantgraph/schema';
import type { Subjects } from '../../subjects.js';
import type { Tx } from '../../infrastructure/database/database.js';
import type { DomainEvent } from '../shared/unit-of-work.js';

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

/**
 * Records a reported state in the history and, unless it is older than the current state
 * (a late signal), makes it the current state. Returns the event to publish after commit, or
 * null when nothing changed.
 */
export function applyStateReport(tx: Tx, subjects: Subjects, equipment: Equipment, report: StateReport): DomainEvent | null {
  const reason = report.reason?.trim() || null;
  const current = report.at.getTime() >= equipment.stateSince.getTime();
  if (current && equipment.state === report.state && (equipment.stateReason ?? null) === reason) return null;
  const change = tx.create(EquipmentStateChange, {
    equipment, path: equipment.path, state: report.state, previousState: current ? equipment.state : null,
    reason, at: report.at, source: report.source, sequence: report.sequence == null ? null : String(report.sequence), applied: current,
  });
  if (!current) return null;
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
