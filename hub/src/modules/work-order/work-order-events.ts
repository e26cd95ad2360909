import { type WorkOrder, WorkOrderState } from '@plantgraph/schema';
import type { Subjects } from '../../subjects.js';
import type { Work } from '../../core/unit-of-work.js';

/** A change of a work order, as delivered to subscribers. */
export interface WorkOrderChange {
  /** Past tense: WorkOrderReleased, WorkOrderPaused, … */
  type: string;
  number: string;
  state: WorkOrderState;
  previousState: WorkOrderState | null;
  /** Path of the equipment running the order. */
  path: string;
  at: Date;
  actor: string;
  reason: string | null;
}

/** Audits a change of an order and announces it on its line's subject, after commit. */
export function orderChanged(
  work: Work,
  subjects: Subjects,
  type: string,
  order: WorkOrder & { equipment: { path: string } },
  previousState: WorkOrderState | null,
  before?: unknown,
  reason?: string | null,
  /** `record`: the id of the record the change is about besides the order (e.g. the deviation opened). */
  about?: { record: string },
): void {
  work.audit(type, order, before, reason);
  work.emit({
    subject: subjects.workOrderChanged(order.equipment.path),
    type,
    data: {
      number: order.number,
      state: order.state,
      previousState,
      path: order.equipment.path,
      at: new Date().toISOString(),
      actor: work.actor,
      reason: reason ?? null,
      ...about,
    },
  });
}
