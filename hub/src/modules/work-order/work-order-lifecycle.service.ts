import {
  MaterialReservation,
  MasterRecordSnapshot,
  Permission,
  ProductDefinitionVersion,
  ReleaseProblemKind,
  type ReleaseWorkOrderInput,
  ReservationStatus,
  WORK_ORDER_TRANSITIONS,
  WorkOrder,
  WorkOrderState,
  type WorkOrderTransitionInput,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { Principal } from '../../core/principal.js';
import { checkText } from '../../core/keys.js';
import { snapshot, type UnitOfWork, type Work } from '../../core/unit-of-work.js';
import { orderChanged } from './work-order-events.js';
import { findOrderFor } from './work-order-access.js';
import { planRelease } from './release-checks.js';
import { changeoverAtRelease } from '../scheduling/changeover-at-release.js';
import type { Subjects } from '../../subjects.js';
import { fail, invalidInput, invalidTransition, releaseBlocked } from '../../core/failures.js';

const S = WorkOrderState;
/** The event each entered state announces (InProgress depends on where it came from). */
const EVENT: Record<WorkOrderState, string> = {
  [S.Draft]: 'WorkOrderCreated',
  [S.Released]: 'WorkOrderReleased',
  [S.InProgress]: 'WorkOrderStarted',
  [S.Paused]: 'WorkOrderPaused',
  [S.Completed]: 'WorkOrderCompleted',
  [S.UnderReview]: 'WorkOrderSubmittedForReview',
  [S.ReleasedToStock]: 'WorkOrderReleasedToStock',
  [S.Rejected]: 'WorkOrderRejected',
  [S.Cancelled]: 'WorkOrderCancelled',
};

/** The regulated lifecycle of a work order: release, start, pause, resume, cancel. */
export class WorkOrderLifecycleService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly bus: MessageBus,
  ) {}

  release(principal: Principal, input: ReleaseWorkOrderInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const order = await findOrderFor(tx, principal, input.number, Permission.ReleaseToProduction);
      requireTransition(order, S.Released);
      const version = await tx.findOneOrFail(ProductDefinitionVersion, order.productDefinitionVersion.id, {
        populate: ['productDefinition.producedMaterial'],
      });
      const { problems, reservations } = await planRelease(
        tx,
        principal,
        order,
        version.segments,
        version.state,
        input,
      );
      // The changeover matrix, against the order's predecessor in the production schedule.
      for (const broken of await changeoverAtRelease(tx, order))
        problems.push({
          kind: ReleaseProblemKind.ChangeoverRuleBroken,
          segment: null,
          subject: broken.rule,
          message: broken.message,
        });
      if (problems.length) fail(releaseBlocked(problems));
      for (const r of reservations)
        tx.create(MaterialReservation, { workOrder: order, segment: r.segment, lot: r.lot, quantity: r.quantity });
      const produced = version.productDefinition.producedMaterial;
      // A deep copy: later revisions of the master record cannot reach the released order.
      order.snapshot = JSON.parse(
        JSON.stringify(
          Object.assign(new MasterRecordSnapshot(), {
            productDefinition: version.productDefinition.code,
            name: version.productDefinition.name,
            version: version.version,
            producedMaterial: { code: produced.code, name: produced.name, unitOfMeasure: produced.unitOfMeasure },
            segments: version.segments,
            yieldBracket: version.yieldBracket ?? null,
            takenAt: new Date().toISOString(),
          }),
        ),
      ) as MasterRecordSnapshot;
      order.assignments = input.assignments.map((a) => ({
        segment: a.segment,
        equipment: a.equipment,
        operators: [...a.operators],
      }));
      enterState(work, this.bus.subjects, order, S.Released);
      return order;
    });
  }

  start(principal: Principal, input: WorkOrderTransitionInput) {
    return this.move(principal, input, S.InProgress, Permission.ExecuteSteps);
  }

  pause(principal: Principal, input: WorkOrderTransitionInput) {
    return this.move(principal, input, S.Paused, Permission.ExecuteSteps, true);
  }

  resume(principal: Principal, input: WorkOrderTransitionInput) {
    return this.move(principal, input, S.InProgress, Permission.ExecuteSteps);
  }

  /** Cancelling gives every reservation back, so no quantity stays held for a dead order. */
  cancel(principal: Principal, input: WorkOrderTransitionInput) {
    return this.move(principal, input, S.Cancelled, Permission.PlanWorkOrders, true, async (tx, order) => {
      await tx.nativeUpdate(
        MaterialReservation,
        { workOrder: order, status: ReservationStatus.Reserved },
        { status: ReservationStatus.Returned },
      );
    });
  }

  private move(
    principal: Principal,
    input: WorkOrderTransitionInput,
    to: WorkOrderState,
    permission: Permission,
    needsReason = false,
    effect?: (tx: Tx, order: WorkOrder) => Promise<void>,
  ) {
    return this.uow.run(principal.name, async (work) => {
      const order = await findOrderFor(work.tx, principal, input.number, permission);
      requireTransition(order, to);
      if (needsReason) {
        if (!input.reason)
          fail(invalidInput('reason', `say why the order is ${to === S.Paused ? 'paused' : 'cancelled'}.`));
        checkText('reason', input.reason, 1000);
      }
      await effect?.(work.tx, order);
      enterState(work, this.bus.subjects, order, to, input.reason ?? null);
      return order;
    });
  }
}

/** Moves an order to `to` (after the caller checked the transition), audited and announced. */
export function enterState(
  work: Work,
  subjects: Subjects,
  order: WorkOrder,
  to: WorkOrderState,
  reason: string | null = null,
): void {
  requireTransition(order, to);
  const before = snapshot(order);
  const from = order.state;
  const now = new Date();
  Object.assign(order, { state: to, stateChangedAt: now, stateReason: reason });
  // The order's OEE window: first start to completion or cancellation.
  if (to === S.InProgress) order.actualStart ??= now;
  if (to === S.Completed || to === S.Cancelled) order.actualEnd = now;
  const type = from === S.Paused && to === S.InProgress ? 'WorkOrderResumed' : EVENT[to];
  orderChanged(work, subjects, type, order, from, before, reason);
}

export function requireTransition(order: WorkOrder, to: WorkOrderState): void {
  const allowed = WORK_ORDER_TRANSITIONS[order.state];
  if (!allowed.includes(to)) fail(invalidTransition(`Work order ${order.number}`, order.state, to, [...allowed]));
}
