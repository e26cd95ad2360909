import {
  AUTOMATIC_DEVIATION_KINDS,
  Deviation,
  type DeviationCapaInput,
  type CloseDeviationCapaInput,
  MaterialLot,
  type RecordDeviationQmsStatusInput,
  Permission,
  type RaiseDeviationInput,
  type WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { Principal } from '../../core/principal.js';
import { checkKey, checkText, isUuid } from '../../core/keys.js';
import { snapshot, type UnitOfWork, type Work } from '../../core/unit-of-work.js';
import { forbidden, placedVisible } from '../../core/visibility.js';
import { fail, invalidInput, notFound } from '../../core/failures.js';
import type { Subjects } from '../../subjects.js';
import { orderChanged } from './work-order-events.js';
import { findOrderFor } from './work-order-access.js';

/** Orders a deviation may be raised on: released, not yet decided. A closed record is not reopened. */
const OPEN_RECORD = [
  WorkOrderState.Released,
  WorkOrderState.InProgress,
  WorkOrderState.Paused,
  WorkOrderState.Completed,
  WorkOrderState.UnderReview,
];
/** Who may raise a nonconformance: the people executing, reviewing or deciding. */
const RAISE = [Permission.ExecuteSteps, Permission.Sign, Permission.QualityApproval];

/** Where a deviation lies: its order's line, else its lot's storage place (null: placed nowhere). */
export function deviationPlace(d: Deviation): { path: string } | null {
  return d.workOrder ? d.workOrder.equipment : (d.lot?.location ?? null);
}

/**
 * Opens a deviation in the unit of work, audited, announced with its order (`workOrderChanged`) or,
 * on a lot alone, as a `DeviationOpened` event at the lot.
 */
export function openDeviation(
  work: Work,
  subjects: Subjects,
  fields: Pick<Deviation, 'kind' | 'severity' | 'description'> & {
    order: (WorkOrder & { equipment: { path: string } }) | null;
    lot: MaterialLot | null;
    segment: string | null;
  },
): Deviation {
  const deviation = work.tx.create(Deviation, {
    workOrder: fields.order,
    lot: fields.lot,
    segment: fields.segment,
    kind: fields.kind,
    severity: fields.severity,
    description: fields.description,
    openedBy: work.actor,
  });
  if (fields.order) {
    orderChanged(work, subjects, 'DeviationOpened', fields.order, fields.order.state, undefined, fields.description, {
      record: deviation.id,
    });
    work.audit('DeviationOpened', deviation, null, fields.description);
  } else work.changed('DeviationOpened', deviation, fields.lot!.lotNumber, null, fields.description);
  return deviation;
}

/** Why a produced quantity lies outside the snapshot's yield bracket, or null when it does not (or none is set). */
export function yieldProblem(order: WorkOrder, producedQuantity: number): string | null {
  const bracket = order.snapshot?.yieldBracket;
  if (!bracket || !(order.quantity > 0)) return null;
  const percent = (producedQuantity / order.quantity) * 100;
  if (percent >= bracket.minPercent && percent <= bracket.maxPercent) return null;
  const shown = Math.round(percent * 10) / 10;
  return `Yield ${shown} % (${producedQuantity} of ${order.quantity} ${order.unitOfMeasure} planned) is outside the bracket ${bracket.minPercent}–${bracket.maxPercent} % of the master record.`;
}

/** Nonconformances raised by people, and the CAPA each is handled under. */
export class DeviationService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly bus: MessageBus,
  ) {}

  raise(principal: Principal, input: RaiseDeviationInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      if (AUTOMATIC_DEVIATION_KINDS.has(input.kind))
        fail(
          invalidInput(
            'kind',
            `${input.kind} deviations are raised by the hub from what it records; raise a nonconformance as Material, Equipment, Procedure, Environment or Other.`,
          ),
        );
      checkText('description', input.description, 4000);
      if (input.segment && !input.workOrder)
        fail(invalidInput('segment', 'a step belongs to an order: give the workOrder too.'));
      if (!input.workOrder && !input.lot)
        fail(invalidInput('workOrder', 'name the order (and step) or the lot the deviation is about.'));
      const order = input.workOrder ? await this.orderFor(tx, principal, input.workOrder) : null;
      if (order && input.segment && !order.snapshot?.segments.some((s) => s.code === input.segment))
        fail(
          invalidInput(
            'segment',
            `order ${order.number} has no step "${input.segment}" (its steps: ${order.snapshot?.segments.map((s) => s.code).join(', ')}).`,
          ),
        );
      const lot = input.lot ? await lotFor(tx, principal, input.lot, order === null) : null;
      return openDeviation(work, this.bus.subjects, {
        order,
        lot,
        segment: input.segment ?? null,
        kind: input.kind,
        severity: input.severity,
        description: input.description.trim(),
      });
    });
  }

  /** Links (or relinks, while it is open) the CAPA a deviation is handled under. */
  linkCapa(principal: Principal, input: DeviationCapaInput) {
    return this.uow.run(principal.name, async (work) => {
      checkKey('reference', input.reference);
      const deviation = await deviationFor(work.tx, principal, input.id);
      if (deviation.capaClosedAt)
        fail(
          invalidInput(
            'id',
            `its CAPA ${deviation.capaReference} was closed on ${deviation.capaClosedAt.toISOString()}.`,
          ),
        );
      if (deviation.capaReference === input.reference) return deviation;
      if (deviation.capaReference && !input.reason?.trim())
        fail(
          invalidInput(
            'reason',
            `say why the deviation moves from CAPA ${deviation.capaReference} to ${input.reference}.`,
          ),
        );
      if (input.reason != null) checkText('reason', input.reason, 1000);
      const before = snapshot(deviation);
      Object.assign(deviation, {
        capaReference: input.reference,
        capaLinkedBy: principal.name,
        capaLinkedAt: new Date(),
      });
      this.announce(work, deviation, 'DeviationCapaLinked', before, input.reason?.trim() || input.reference);
      return deviation;
    });
  }

  /** Records that the deviation's CAPA was closed, with how (its effectiveness check). */
  closeCapa(principal: Principal, input: CloseDeviationCapaInput) {
    return this.uow.run(principal.name, async (work) => {
      checkText('closure', input.closure, 2000);
      const deviation = await deviationFor(work.tx, principal, input.id);
      if (!deviation.capaReference) fail(invalidInput('id', 'the deviation has no CAPA linked; link one first.'));
      if (deviation.capaClosedAt) return deviation; // closed before: a retry changes nothing
      const before = snapshot(deviation);
      Object.assign(deviation, {
        capaClosedBy: principal.name,
        capaClosedAt: new Date(),
        capaClosure: input.closure.trim(),
      });
      this.announce(work, deviation, 'DeviationCapaClosed', before, deviation.capaClosure);
      return deviation;
    });
  }

  /**
   * Records what the quality system holds of the deviation (its nonconformance record, status and
   * closure), as its connector reads it back. A record sent again unchanged changes nothing; the
   * deviation keeps the one QMS record it was first recorded under.
   */
  recordQmsStatus(principal: Principal, input: RecordDeviationQmsStatusInput) {
    return this.uow.run(principal.name, async (work) => {
      checkKey('reference', input.reference);
      checkText('status', input.status, 64);
      if (input.closure != null) checkText('closure', input.closure, 4000);
      const deviation = await deviationFor(work.tx, principal, input.id);
      if (deviation.qmsReference && deviation.qmsReference !== input.reference)
        fail(
          invalidInput(
            'reference',
            `the deviation is held in the QMS as ${deviation.qmsReference}, not ${input.reference}.`,
          ),
        );
      const change = {
        qmsReference: input.reference,
        qmsStatus: input.status.trim(),
        qmsClosedAt: input.closedAt ?? null,
        qmsClosure: input.closure?.trim() || null,
      };
      const same =
        deviation.qmsReference === change.qmsReference &&
        deviation.qmsStatus === change.qmsStatus &&
        (deviation.qmsClosedAt?.getTime() ?? null) === (change.qmsClosedAt?.getTime() ?? null) &&
        (deviation.qmsClosure ?? null) === change.qmsClosure;
      if (same) return deviation;
      const before = snapshot(deviation);
      Object.assign(deviation, change, { qmsUpdatedBy: principal.name, qmsUpdatedAt: new Date() });
      const what = `QMS ${input.reference}: ${change.qmsStatus}${change.qmsClosure ? ` (${change.qmsClosure})` : ''}`;
      this.announce(work, deviation, 'DeviationQmsStatusRecorded', before, what.slice(0, 1000));
      return deviation;
    });
  }

  private announce(work: Work, deviation: Deviation, type: string, before: unknown, reason: string | null | undefined) {
    if (deviation.workOrder) {
      work.audit(type, deviation, before, reason);
      orderChanged(work, this.bus.subjects, type, deviation.workOrder, deviation.workOrder.state, undefined, reason);
    } else work.changed(type, deviation, deviation.lot!.lotNumber, before, reason);
  }

  /** The order, if the caller may raise on it and its record is open. */
  private async orderFor(tx: Tx, principal: Principal, number: string) {
    const order = await findOrderFor(tx, principal, number, Permission.Read);
    if (!RAISE.some((p) => principal.can(p, order.equipment.path)))
      throw forbidden(principal, `raise a deviation at ${order.equipment.path}`);
    if (!OPEN_RECORD.includes(order.state))
      fail(
        invalidInput(
          'workOrder',
          `order ${number} is ${order.state}: deviations are raised on released orders whose record is still open (${OPEN_RECORD.join(', ')})${order.state === WorkOrderState.ReleasedToStock ? '; raise it on the lot instead' : ''}.`,
        ),
      );
    return order;
  }
}

/** The lot, visible to the caller; on a lot alone the caller must be allowed to raise where it is stored. */
async function lotFor(tx: Tx, principal: Principal, lotNumber: string, alone: boolean): Promise<MaterialLot> {
  const lot =
    (await tx.findOne(
      MaterialLot,
      { $and: [{ lotNumber }, placedVisible(principal, 'location')] },
      {
        populate: ['location'],
      },
    )) ?? fail(notFound('material lot', lotNumber));
  if (
    alone &&
    !RAISE.some((p) => (lot.location ? principal.can(p, lot.location.path) : principal.canEnterpriseWide(p)))
  )
    throw forbidden(principal, `raise a deviation on lot ${lotNumber}`);
  return lot;
}

/** The deviation, if the caller may decide on it (QualityApproval where it lies). */
async function deviationFor(tx: Tx, principal: Principal, id: string): Promise<Deviation> {
  const hidden = () => notFound('deviation', id);
  const deviation =
    (isUuid(id) && (await tx.findOne(Deviation, { id }, { populate: ['workOrder.equipment', 'lot.location'] }))) ||
    fail(hidden());
  const place = deviationPlace(deviation);
  if (place ? !principal.can(Permission.Read, place.path) : !principal.canEnterpriseWide(Permission.Read))
    fail(hidden());
  const allowed = place
    ? principal.can(Permission.QualityApproval, place.path)
    : principal.canEnterpriseWide(Permission.QualityApproval);
  if (!allowed) throw forbidden(principal, `${Permission.QualityApproval} on deviation ${id}`);
  return deviation;
}
