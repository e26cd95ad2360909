import { LockMode } from '@mikro-orm/core';
import {
  DeviationKind,
  DeviationSeverity,
  Equipment,
  EquipmentState,
  MaterialLot,
  MaterialReservation,
  type MeasurementInput,
  Permission,
  type ProductSegment,
  Qualification,
  ReservationStatus,
  type SignatureInput,
  SignatureMeaning,
  SignedAct,
  StepRecord,
  type WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { Principal } from '../../core/principal.js';
import type { SignatureService } from '../../auth/signatures.js';
import { checkKey, checkQuantity, roundQuantity } from '../../core/keys.js';
import { snapshot, type UnitOfWork, type Work } from '../../core/unit-of-work.js';
import { orderChanged } from './work-order-events.js';
import { findOrderFor } from './work-order-access.js';
import { enterState, requireTransition } from './work-order-lifecycle.service.js';
import { fail, invalidInput } from '../../core/failures.js';
import { conditionBlock } from '../equipment/equipment-condition.js';
import { openDeviation, yieldProblem } from './deviation.service.js';
import { completeCampaign } from './campaign.service.js';
import {
  batchInWork,
  campaignBlocks,
  linkConsumption,
  newBatchLot,
  noStepLeft,
  openStep,
  operatorOf,
  pendingChanges,
  requireDecided,
  requireSplitNamed,
  splitOfBatch,
  stepsOfBatch,
  stepToDo,
} from './batch-in-work.js';

/** Run states in which no step can start now (the interlock itself is the equipment's condition). */
const NOT_RUNNABLE = new Set([EquipmentState.Down, EquipmentState.Maintenance]);

/** The qualification a person needs to confirm line clearance. */
export const LINE_CLEARANCE = 'line-clearance';

/**
 * Execution at the station, against the order's snapshot only: line clearance, one step at a time
 * with hard guards, captured values judged against the snapshot's limits (out of tolerance opens a
 * deviation), material consumed from the order's reservations, and completion with the produced
 * lot and its genealogy.
 */
export class WorkOrderExecutionService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly bus: MessageBus,
    private readonly signatures: SignatureService,
  ) {}

  /** The step to do now (see `stepToDo`). */
  currentStep(order: WorkOrder, all: StepRecord[], batchesMade = 0): ProductSegment | null {
    return stepToDo(order, all, batchesMade);
  }

  /**
   * An out-of-tolerance deviation on the order's step, announced with the order and audited; on a
   * campaign it names the batch, as the segment alone does not say which execution it was.
   */
  private openDeviation(work: Work, order: WorkOrder, step: StepRecord, description: string): void {
    openDeviation(work, this.bus.subjects, {
      order: order as WorkOrder & { equipment: { path: string } },
      lot: null,
      segment: step.segment,
      kind: DeviationKind.OutOfTolerance,
      severity: DeviationSeverity.Major,
      description: step.batch ? `Batch ${step.batch}: ${description}` : description,
    });
  }

  /**
   * Confirms the line is clear before the first step: a signed act (meaning Responsibility) by a
   * person who may execute steps at the order's line and holds a current line-clearance qualification.
   */
  confirmLineClearance(principal: Principal, number: string, signature: SignatureInput | null | undefined) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const order = await findOrderFor(tx, principal, number, Permission.ExecuteSteps);
      if (order.state !== WorkOrderState.InProgress)
        fail(
          invalidInput(
            'number',
            `order ${number} is ${order.state}; line clearance is confirmed once it is InProgress.`,
          ),
        );
      if (!signature)
        fail(
          invalidInput(
            'signature',
            `line clearance is a signed act: a person holding a current ${LINE_CLEARANCE} qualification signs it with the meaning Responsibility.`,
          ),
        );
      const before = snapshot(order);
      order.lineClearedAt = new Date();
      const signed = await this.signatures.sign(
        tx,
        'signature',
        signature,
        { act: SignedAct.LineClearance, meaning: SignatureMeaning.Responsibility, at: order.equipment.path },
        'WorkOrder',
        order,
      );
      const qualification = await tx.findOne(Qualification, {
        person: { employeeId: signed.signer },
        code: LINE_CLEARANCE,
      });
      if (!qualification?.current)
        fail(
          invalidInput(
            'signature.token',
            `${signed.printedName} (${signed.signer}) holds no current ${LINE_CLEARANCE} qualification; line clearance is confirmed by a qualified person.`,
          ),
        );
      orderChanged(work, this.bus.subjects, 'WorkOrderLineCleared', order, order.state, before);
      return order;
    });
  }

  startStep(principal: Principal, number: string) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const order = await findOrderFor(tx, principal, number, Permission.ExecuteSteps);
      const operator = await operatorOf(tx, principal);
      const batch = await batchInWork(tx, order);
      const steps = await stepsOfBatch(tx, order, batch);
      const blocked: string[] = [];
      if (order.state !== WorkOrderState.InProgress) blocked.push(`the order is ${order.state}, not InProgress.`);
      if (await tx.count(StepRecord, { workOrder: order, completedAt: null }))
        blocked.push('the current step is not completed yet.');
      const made = batch != null && batch > order.campaignBatches!;
      const segment = (made ? null : order.snapshot?.segments[steps.length]) ?? fail(noStepLeft(order, batch));
      if (batch) blocked.push(...(await campaignBlocks(tx, order, batch)));
      if (!order.lineClearedAt) blocked.push('line clearance has not been confirmed.');
      const assignment = order.assignments.find((a) => a.segment === segment.code)!;
      if (!assignment.operators.includes(operator.employeeId))
        blocked.push(
          `${operator.employeeId} is not assigned to ${segment.code} (assigned: ${assignment.operators.join(', ')}).`,
        );
      if (segment.qualification) {
        const q = await tx.findOne(Qualification, { person: operator, code: segment.qualification });
        if (!q?.current)
          blocked.push(`${operator.employeeId} holds no current ${segment.qualification} qualification.`);
      }
      const equipment = await tx.findOne(Equipment, { path: assignment.equipment });
      if (!equipment || NOT_RUNNABLE.has(equipment.state))
        blocked.push(
          `${assignment.equipment} is ${equipment?.state ?? 'gone'}${equipment?.stateReason ? ` (${equipment.stateReason})` : ''}.`,
        );
      const condition = equipment && conditionBlock(equipment);
      if (condition) blocked.push(condition);
      // An approved engineering change reached the order: its people wait for the supervisor's decision.
      blocked.push(...(await pendingChanges(tx, order)));
      if (blocked.length) fail(invalidInput('number', `step ${segment.code} cannot start: ${blocked.join(' ')}`));
      const step = tx.create(StepRecord, {
        workOrder: order,
        segment: segment.code,
        sequence: (await tx.count(StepRecord, { workOrder: order })) + 1,
        batch,
        operator: operator.employeeId,
        equipment: assignment.equipment,
        startedAt: new Date(),
      });
      work.audit('StepStarted', step);
      return step;
    });
  }

  recordMeasurements(
    principal: Principal,
    number: string,
    measurements: MeasurementInput[],
    capture: { passed?: boolean | null; containers?: string[] | null } = {},
  ) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const { order, step, segment } = await openStep(tx, principal, number);
      const before = snapshot(step);
      for (const [i, m] of measurements.entries()) {
        const spec =
          segment.parameters.find((p) => p.name === m.parameter) ??
          fail(
            invalidInput(
              `measurements[${i}].parameter`,
              `${segment.code} has no parameter "${m.parameter}" (it has: ${segment.parameters.map((p) => p.name).join(', ') || 'none'}).`,
            ),
          );
        if (!Number.isFinite(m.value)) fail(invalidInput(`measurements[${i}].value`, 'must be a finite number.'));
        const withinTolerance = m.value >= spec.lowerLimit && m.value <= spec.upperLimit;
        step.measurements = [
          ...step.measurements.filter((x) => x.parameter !== m.parameter),
          {
            parameter: m.parameter,
            value: m.value,
            lowerLimit: spec.lowerLimit,
            upperLimit: spec.upperLimit,
            withinTolerance,
          },
        ];
        if (!withinTolerance) {
          this.openDeviation(
            work,
            order,
            step,
            `${m.parameter} = ${m.value} at ${segment.code} is outside ${spec.lowerLimit}…${spec.upperLimit}${spec.unitOfMeasure ? ` ${spec.unitOfMeasure}` : ''}.`,
          );
        }
      }
      for (const [i, id] of (capture.containers ?? []).entries()) checkKey(`containers[${i}]`, id);
      if (capture.containers) step.containers = [...new Set([...step.containers, ...capture.containers])];
      if (capture.passed != null) {
        step.passed = capture.passed;
        if (!capture.passed) {
          this.openDeviation(work, order, step, `${segment.code} was judged failed by ${step.operator}.`);
        }
      }
      work.audit('MeasurementsRecorded', step, before);
      return step;
    });
  }

  /** Takes material for the current step from the order's reservation of that lot. */
  consumeMaterial(principal: Principal, number: string, lotNumber: string, quantity: number) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkKey('lotNumber', lotNumber);
      checkQuantity('quantity', quantity);
      const { order, step } = await openStep(tx, principal, number);
      const split = await splitOfBatch(tx, order, step.batch ?? null);
      if (split)
        fail(
          invalidInput(
            'number',
            `the batch was split at ${split.segment} into lots; material goes into a batch before it is split.`,
          ),
        );
      const reservation =
        (await tx.findOne(
          MaterialReservation,
          { workOrder: order, segment: step.segment, lot: { lotNumber }, status: ReservationStatus.Reserved },
          { populate: ['lot'], lockMode: LockMode.PESSIMISTIC_WRITE },
        )) ??
        fail(
          invalidInput(
            'lotNumber',
            `no reservation of lot ${lotNumber} is open for step ${step.segment}; use the lots reserved at release.`,
          ),
        );
      const left = roundQuantity(reservation.quantity - reservation.consumedQuantity);
      if (quantity > left)
        fail(
          invalidInput(
            'quantity',
            `${quantity} exceeds the ${left} ${reservation.lot.unitOfMeasure} still reserved from ${lotNumber}.`,
          ),
        );
      const before = snapshot(reservation);
      reservation.consumedQuantity = roundQuantity(reservation.consumedQuantity + quantity);
      if (reservation.consumedQuantity >= reservation.quantity) reservation.status = ReservationStatus.Consumed;
      reservation.lot.quantity = roundQuantity(reservation.lot.quantity - quantity);
      work.audit('MaterialConsumed', reservation, before);
      return step;
    });
  }

  /** Completes the current step; a critical step needs a second person to verify and sign. */
  completeStep(principal: Principal, number: string, verification: SignatureInput | null | undefined) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const { order, step, segment } = await openStep(tx, principal, number);
      await requireDecided(tx, order, `completing ${segment.code}`);
      const missing = segment.parameters
        .filter((p) => !step.measurements.some((m) => m.parameter === p.name))
        .map((p) => p.name);
      if (missing.length)
        fail(invalidInput('number', `record ${missing.join(', ')} before completing ${segment.code}.`));
      const before = snapshot(step);
      if (segment.critical) {
        if (!verification)
          fail(
            invalidInput(
              'verification',
              `${segment.code} is critical: a second person must verify it with their signature.`,
            ),
          );
        const signature = await this.signatures.sign(
          tx,
          'verification',
          verification,
          {
            act: SignedAct.StepVerification,
            meaning: SignatureMeaning.Verification,
            at: order.equipment.path,
            excluded: new Map([
              [
                step.operator,
                `they executed ${segment.code}, and the verifier must be a different person than the operator (${step.operator})`,
              ],
            ]),
          },
          'StepRecord',
          step,
        );
        step.verifiedBy = signature.signer;
      }
      step.completedAt = new Date();
      work.audit('StepCompleted', step, before);
      return step;
    });
  }

  /**
   * InProgress → Completed: creates the produced lot (in quarantine) from what the steps consumed,
   * and gives back whatever was reserved but not used (the yield variance), so no phantom stock.
   */
  complete(principal: Principal, number: string, producedLotNumber: string, producedQuantity: number) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkKey('producedLotNumber', producedLotNumber);
      checkQuantity('producedQuantity', producedQuantity);
      const order = await findOrderFor(tx, principal, number, Permission.ExecuteSteps);
      requireTransition(order, WorkOrderState.Completed);
      await requireDecided(tx, order, `completing ${number}`);
      if (order.campaignBatches) return completeCampaign(work, this.bus.subjects, order, producedLotNumber);
      const steps = await tx.find(StepRecord, { workOrder: order });
      const open = (order.snapshot?.segments ?? [])
        .filter((s) => !steps.some((r) => r.segment === s.code && r.completedAt))
        .map((s) => s.code);
      if (open.length) fail(invalidInput('number', `steps ${open.join(', ')} are not completed.`));
      const split = await splitOfBatch(tx, order, null);
      if (split) requireSplitNamed(split, 'producedLotNumber', producedLotNumber, 'producedQuantity', producedQuantity);
      const lot = split
        ? await tx.findOneOrFail(MaterialLot, { lotNumber: split.lotNumber })
        : await newBatchLot(tx, order, producedLotNumber, producedQuantity, 'producedLotNumber');
      await linkConsumption(tx, order, lot);
      await tx.nativeUpdate(
        MaterialReservation,
        { workOrder: order, status: ReservationStatus.Reserved },
        { status: ReservationStatus.Returned },
      );
      order.producedLot = producedLotNumber;
      if (!split) work.audit('MaterialLotProduced', lot);
      // Outside the master record's yield bracket: quality has to look before release to stock.
      const yieldOff = yieldProblem(order, producedQuantity);
      if (yieldOff)
        openDeviation(work, this.bus.subjects, {
          order,
          lot,
          segment: null,
          kind: DeviationKind.YieldOutOfBracket,
          severity: DeviationSeverity.Major,
          description: yieldOff,
        });
      enterState(work, this.bus.subjects, order, WorkOrderState.Completed);
      return order;
    });
  }
}
