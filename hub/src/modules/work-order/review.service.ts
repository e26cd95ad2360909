import {
  CampaignBatch,
  LotGenealogy,
  Deviation,
  DeviationKind,
  DeviationState,
  MaterialLot,
  MaterialLotStatus,
  Permission,
  type SignatureInput,
  SignatureMeaning,
  SignedAct,
  StepRecord,
  WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { Principal } from '../../core/principal.js';
import { ENTERPRISE, type SignatureService, type SigningAct } from '../../auth/signatures.js';
import { requireAtPlace } from '../../core/visibility.js';
import { deviationPlace } from './deviation.service.js';
import { checkText } from '../../core/keys.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import { orderChanged } from './work-order-events.js';
import { findOrderFor } from './work-order-access.js';
import { enterState, requireTransition } from './work-order-lifecycle.service.js';
import { fail, invalidInput, notFound } from '../../core/failures.js';

/**
 * Quality's part: review the executed record against the snapshot, close deviations with two
 * signatures, correct recorded values only through a deviation (the prior value is kept), and
 * release the produced lot to stock (locking its genealogy) or reject it.
 */
export class WorkOrderReviewService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly bus: MessageBus,
    private readonly signatures: SignatureService,
  ) {}

  submitForReview(principal: Principal, number: string) {
    return this.uow.run(principal.name, async (work) => {
      const order = await findOrderFor(work.tx, principal, number, Permission.ExecuteSteps);
      enterState(work, this.bus.subjects, order, WorkOrderState.UnderReview);
      return order;
    });
  }

  /** UnderReview → ReleasedToStock: no open deviation may remain; the lot is released and its genealogy locked. */
  releaseToStock(principal: Principal, number: string, signature: SignatureInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const order = await findOrderFor(tx, principal, number, Permission.QualityApproval);
      requireTransition(order, WorkOrderState.ReleasedToStock);
      const open = await tx.find(Deviation, { workOrder: order, state: DeviationState.Open });
      if (open.length)
        fail(
          invalidInput(
            'number',
            `order ${number} has ${open.length} open deviation(s): ${open.map((d) => d.description).join(' ')} Close them before releasing to stock.`,
          ),
        );
      await this.signatures.sign(
        tx,
        'signature',
        signature,
        await qualityDecision(tx, order, SignedAct.ReleaseToStock),
        'WorkOrder',
        order,
      );
      for (const lot of await producedLots(tx, order)) {
        const before = snapshot(lot);
        Object.assign(lot, { status: MaterialLotStatus.Released, genealogyLockedAt: new Date() });
        work.audit('MaterialLotReleased', lot, before);
      }
      enterState(work, this.bus.subjects, order, WorkOrderState.ReleasedToStock);
      return order;
    });
  }

  /** UnderReview → Rejected, with the disposition recorded and signed; the lot is rejected. */
  reject(principal: Principal, number: string, disposition: string, signature: SignatureInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkText('disposition', disposition, 2000);
      const order = await findOrderFor(tx, principal, number, Permission.QualityApproval);
      requireTransition(order, WorkOrderState.Rejected);
      await this.signatures.sign(
        tx,
        'signature',
        signature,
        await qualityDecision(tx, order, SignedAct.Rejection),
        'WorkOrder',
        order,
      );
      for (const lot of await producedLots(tx, order)) {
        const before = snapshot(lot);
        Object.assign(lot, { status: MaterialLotStatus.Rejected, genealogyLockedAt: new Date() });
        work.audit('MaterialLotRejected', lot, before, disposition);
      }
      enterState(work, this.bus.subjects, order, WorkOrderState.Rejected, disposition);
      return order;
    });
  }

  /** Closes a deviation with its resolution, signed by two different people. */
  closeDeviation(principal: Principal, id: string, resolution: string, signatures: SignatureInput[]) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkText('resolution', resolution, 2000);
      const deviation =
        (await tx.findOne(Deviation, { id }, { populate: ['workOrder.equipment', 'lot.location'] })) ??
        fail(notFound('deviation', id));
      requireAtPlace(principal, Permission.Sign, deviationPlace(deviation), () => notFound('deviation', id));
      if (deviation.state !== DeviationState.Open) fail(invalidInput('id', 'the deviation is already closed.'));
      const before = snapshot(deviation);
      Object.assign(deviation, { resolution, state: DeviationState.Closed, closedAt: new Date() });
      const place = deviationPlace(deviation);
      await this.signatures.signByTwo(
        tx,
        signatures,
        { act: SignedAct.DeviationClosure, meanings: REVIEW_AND_APPROVAL, at: place?.path ?? ENTERPRISE },
        'Deviation',
        deviation,
      );
      if (deviation.workOrder) {
        work.audit('DeviationClosed', deviation, before, resolution);
        orderChanged(
          work,
          this.bus.subjects,
          'DeviationClosed',
          deviation.workOrder,
          deviation.workOrder.state,
          undefined,
          resolution,
        );
      } else work.changed('DeviationClosed', deviation, deviation.lot!.lotNumber, before, resolution);
      return deviation;
    });
  }

  /**
   * Corrects a recorded value: never in place without trace. A Correction deviation keeps the
   * prior value, two people sign it, and the audit trail has both values and the reason.
   */
  correctMeasurement(
    principal: Principal,
    number: string,
    segment: string,
    parameter: string,
    value: number,
    reason: string,
    signatures: SignatureInput[],
    batch: number | null = null,
  ) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkText('reason', reason, 2000);
      const order = await findOrderFor(tx, principal, number, Permission.Sign);
      if ([WorkOrderState.ReleasedToStock, WorkOrderState.Rejected].includes(order.state))
        fail(invalidInput('number', `order ${number} is ${order.state}; its record is closed.`));
      // A campaign runs each segment once per batch: the batch says which execution is corrected.
      if (order.campaignBatches && batch == null)
        fail(invalidInput('batch', `order ${number} is a campaign: name the batch whose ${segment} is corrected.`));
      const which = order.campaignBatches ? batch : null;
      const step =
        (await tx.findOne(StepRecord, { workOrder: order, segment, batch: which })) ??
        fail(notFound('step', `${number}/${segment}${which ? ` of batch ${which}` : ''}`));
      const measured =
        step.measurements.find((m) => m.parameter === parameter) ??
        fail(notFound('measurement', `${segment}/${parameter}`));
      const before = snapshot(step);
      const deviation = tx.create(Deviation, {
        workOrder: order,
        kind: DeviationKind.Correction,
        segment,
        openedBy: work.actor,
        state: DeviationState.Closed,
        closedAt: new Date(),
        resolution: reason,
        description: `${which ? `Batch ${which}: ` : ''}${parameter} at ${segment} corrected from ${measured.value} to ${value}: ${reason}`,
      });
      step.measurements = step.measurements.map((m) =>
        m.parameter === parameter
          ? { ...m, value, withinTolerance: value >= m.lowerLimit && value <= m.upperLimit }
          : m,
      );
      await this.signatures.signByTwo(
        tx,
        signatures,
        { act: SignedAct.Correction, meanings: REVIEW_AND_APPROVAL, at: order.equipment.path },
        'Deviation',
        deviation,
      );
      work.audit('DeviationRecorded', deviation);
      work.audit('MeasurementCorrected', step, before, reason);
      return step;
    });
  }
}

/** Closures and corrections: a reviewer and the quality unit, two different people. */
const REVIEW_AND_APPROVAL = [SignatureMeaning.Review, SignatureMeaning.Approval] as const;

/**
 * The quality unit's decision on an order (release to stock, rejection): an Approval at the order's
 * line by someone who executed none of its steps.
 */
async function qualityDecision(tx: Tx, order: WorkOrder, act: SignedAct): Promise<SigningAct> {
  const excluded = new Map<string, string>();
  for (const step of await tx.find(StepRecord, { workOrder: order }, { orderBy: { sequence: 'asc' } }))
    if (!excluded.has(step.operator))
      excluded.set(
        step.operator,
        `they executed step ${step.segment} of ${order.number}, and whoever executed may not decide on it`,
      );
  return { act, meaning: SignatureMeaning.Approval, at: order.equipment.path, excluded };
}

/**
 * The lot the order completed with, for a campaign every batch's lot, and the lots its batches
 * were split into at a step: the disposition covers them all.
 */
async function producedLots(tx: Tx, order: WorkOrder): Promise<MaterialLot[]> {
  const lot =
    (order.producedLot ? await tx.findOne(MaterialLot, { lotNumber: order.producedLot }) : null) ??
    fail(invalidInput('number', `order ${order.number} produced no lot.`));
  const batches = order.campaignBatches ? await tx.find(CampaignBatch, { workOrder: order }) : [];
  const others = batches.map((b) => b.lotNumber).filter((n) => n !== lot.lotNumber);
  const parts = await tx.find(LotGenealogy, { workOrder: order, segment: { $ne: null } }, { populate: ['output'] });
  return [
    ...(others.length ? await tx.find(MaterialLot, { lotNumber: { $in: others } }) : []),
    ...parts.map((p) => p.output),
    lot,
  ];
}
