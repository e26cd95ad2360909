import { registerEnumType } from 'type-graphql';
import { WorkOrderState } from './work-order.entities.js';

const S = WorkOrderState;

/**
 * The regulated work-order lifecycle. Every transition is an explicit mutation; anything else is
 * an `InvalidTransition`. Completed orders go to quality review; only review ends them.
 */
export const WORK_ORDER_TRANSITIONS: Readonly<Record<WorkOrderState, readonly WorkOrderState[]>> = {
  [S.Draft]: [S.Released, S.Cancelled],
  [S.Released]: [S.InProgress, S.Cancelled],
  [S.InProgress]: [S.Paused, S.Completed],
  [S.Paused]: [S.InProgress, S.Cancelled],
  [S.Completed]: [S.UnderReview],
  [S.UnderReview]: [S.ReleasedToStock, S.Rejected],
  [S.ReleasedToStock]: [],
  [S.Rejected]: [],
  [S.Cancelled]: [],
};

/** The OPC UA ISA-95 Job Control view of an order (ISA95JobOrderStateMachine), for equipment-facing systems. */
export enum JobOrderState {
  NotAllowedToStart = 'NotAllowedToStart',
  AllowedToStart = 'AllowedToStart',
  Running = 'Running',
  Interrupted = 'Interrupted',
  Ended = 'Ended',
  Aborted = 'Aborted',
}
registerEnumType(JobOrderState, { name: 'JobOrderState' });

export const JOB_ORDER_STATE: Readonly<Record<WorkOrderState, JobOrderState>> = {
  [S.Draft]: JobOrderState.NotAllowedToStart,
  [S.Released]: JobOrderState.AllowedToStart,
  [S.InProgress]: JobOrderState.Running,
  [S.Paused]: JobOrderState.Interrupted,
  [S.Completed]: JobOrderState.Ended,
  [S.UnderReview]: JobOrderState.Ended,
  [S.ReleasedToStock]: JobOrderState.Ended,
  [S.Rejected]: JobOrderState.Ended,
  [S.Cancelled]: JobOrderState.Aborted,
};
