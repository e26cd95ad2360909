import {
  CampaignBatch,
  DeviationKind,
  DeviationSeverity,
  type CompleteCampaignBatchInput,
  LotGenealogy,
  MaterialLot,
  MaterialReservation,
  Permission,
  type RecordCampaignCleaningInput,
  ReservationStatus,
  SignatureMeaning,
  SignedAct,
  type SplitBatchInput,
  type WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { Principal } from '../../core/principal.js';
import type { SignatureService } from '../../auth/signatures.js';
import { checkKey, checkQuantity, checkText, roundQuantity } from '../../core/keys.js';
import { snapshot, type UnitOfWork, type Work } from '../../core/unit-of-work.js';
import type { Subjects } from '../../subjects.js';
import { fail, invalidInput } from '../../core/failures.js';
import { orderChanged } from './work-order-events.js';
import { findOrderFor } from './work-order-access.js';
import { openDeviation, yieldProblem } from './deviation.service.js';
import { enterState } from './work-order-lifecycle.service.js';
import {
  batchInWork,
  linkConsumption,
  newBatchLot,
  openStep,
  requireDecided,
  requireSplitNamed,
  splitOfBatch,
  stepsOfBatch,
} from './batch-in-work.js';

/**
 * Order kinds beyond one order, one lot: a campaign (several batches one after another on the
 * order's unit, each running every step of the snapshot and making its own lot and genealogy, the
 * unit cleaned between them) and a split (a batch divided into downstream lots at a step, linked
 * both ways in the genealogy).
 */
export class CampaignService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly bus: MessageBus,
    private readonly signatures: SignatureService,
  ) {}

  /**
   * Completes the batch in work once it has run every step: its lot (in quarantine, or the one its
   * split made) whose genealogy is what the order consumed since the batch before.
   */
  completeBatch(principal: Principal, input: CompleteCampaignBatchInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkQuantity('quantity', input.quantity);
      if (!(input.quantity > 0)) fail(invalidInput('quantity', 'must be above 0.'));
      const order = await findOrderFor(tx, principal, input.number, Permission.ExecuteSteps);
      const planned = order.campaignBatches ?? fail(invalidInput('number', `order ${order.number} is no campaign.`));
      if (order.state !== WorkOrderState.InProgress)
        fail(
          invalidInput('number', `order ${order.number} is ${order.state}; batches are made while it is InProgress.`),
        );
      const sequence = (await batchInWork(tx, order))!;
      if (sequence > planned)
        fail(invalidInput('number', `all ${planned} batches of the campaign are made; complete the order.`));
      const steps = await stepsOfBatch(tx, order, sequence);
      const open = order
        .snapshot!.segments.filter((s) => !steps.some((r) => r.segment === s.code && r.completedAt))
        .map((s) => s.code);
      if (open.length)
        fail(invalidInput('number', `batch ${sequence} has steps ${open.join(', ')} to complete first.`));
      await requireDecided(tx, order, `completing batch ${sequence}`);
      const split = await splitOfBatch(tx, order, sequence);
      if (split) requireSplitNamed(split, 'lotNumber', input.lotNumber, 'quantity', input.quantity);
      const lot = split
        ? await tx.findOneOrFail(MaterialLot, { lotNumber: split.lotNumber })
        : await newBatchLot(tx, order, input.lotNumber, input.quantity, 'lotNumber');
      // What the reservations gave since the batch before is what went into this one.
      await linkConsumption(tx, order, lot);
      const batch = tx.create(CampaignBatch, {
        workOrder: order,
        sequence,
        lotNumber: lot.lotNumber,
        quantity: input.quantity,
        completedBy: principal.name,
        completedAt: new Date(),
      });
      if (!split) work.audit('MaterialLotProduced', lot);
      work.audit('CampaignBatchCompleted', batch);
      const said = `batch ${sequence} of ${planned}: lot ${lot.lotNumber}`;
      orderChanged(work, this.bus.subjects, 'CampaignBatchCompleted', order, order.state, undefined, said);
      return batch;
    });
  }

  /**
   * The cleaning of the unit after the campaign's latest batch, signed (Responsibility) by whoever
   * did it; the next batch's first step waits for it.
   */
  recordCleaning(principal: Principal, input: RecordCampaignCleaningInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkText('cleaning', input.cleaning, 2000);
      const order = await findOrderFor(tx, principal, input.number, Permission.ExecuteSteps);
      if (!order.campaignBatches) fail(invalidInput('number', `order ${order.number} is no campaign.`));
      const [last] = await tx.find(CampaignBatch, { workOrder: order }, { orderBy: { sequence: 'desc' }, limit: 1 });
      if (!last || last.cleanedAt)
        fail(invalidInput('number', `no batch of ${order.number} is waiting for cleaning; make the next batch.`));
      const signature =
        input.signature ??
        fail(
          invalidInput(
            'signature',
            'the cleaning between batches is a signed act: whoever cleaned the unit signs it with the meaning Responsibility.',
          ),
        );
      const before = snapshot(last);
      Object.assign(last, { cleaning: input.cleaning.trim(), cleanedAt: new Date() });
      const signed = await this.signatures.sign(
        tx,
        'signature',
        signature,
        { act: SignedAct.CampaignCleaning, meaning: SignatureMeaning.Responsibility, at: order.equipment.path },
        'CampaignBatch',
        last,
      );
      last.cleanedBy = signed.signer;
      work.audit('CampaignCleaningRecorded', last, before, last.cleaning);
      orderChanged(work, this.bus.subjects, 'CampaignCleaningRecorded', order, order.state, undefined, last.cleaning);
      return last;
    });
  }

  /**
   * Splits the batch in work into downstream lots at the operator's current step: the batch's lot
   * is made (its genealogy what the batch consumed) and its parts take all of it, each linked to it
   * at the step, so the batch's outputs list the parts and each part's inputs the batch.
   */
  splitBatch(principal: Principal, input: SplitBatchInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const { order, step, segment } = await openStep(tx, principal, input.number);
      await requireDecided(tx, order, `splitting the batch at ${segment.code}`);
      const batch = step.batch ?? null;
      const earlier = await splitOfBatch(tx, order, batch);
      if (earlier)
        fail(invalidInput('number', `the batch was split at ${earlier.segment} already (lot ${earlier.lotNumber}).`));
      checkQuantity('quantity', input.quantity);
      if (!(input.quantity > 0)) fail(invalidInput('quantity', 'must be above 0.'));
      if (input.parts.length < 2) fail(invalidInput('parts', 'a split gives at least two lots.'));
      const numbers = new Set<string>([input.lotNumber]);
      for (const [i, part] of input.parts.entries()) {
        checkKey(`parts[${i}].lotNumber`, part.lotNumber);
        checkQuantity(`parts[${i}].quantity`, part.quantity);
        if (!(part.quantity > 0)) fail(invalidInput(`parts[${i}].quantity`, 'must be above 0.'));
        if (numbers.has(part.lotNumber)) fail(invalidInput(`parts[${i}].lotNumber`, 'is given twice.'));
        if (await tx.count(MaterialLot, { lotNumber: part.lotNumber }))
          fail(invalidInput(`parts[${i}].lotNumber`, `lot ${part.lotNumber} already exists.`));
        numbers.add(part.lotNumber);
      }
      const total = roundQuantity(input.parts.reduce((sum, p) => sum + p.quantity, 0));
      const uom = order.snapshot!.producedMaterial.unitOfMeasure;
      if (total !== roundQuantity(input.quantity))
        fail(
          invalidInput(
            'parts',
            `the parts sum to ${total} ${uom} and the batch is ${input.quantity} ${uom}: ${total > input.quantity ? 'take' : 'add'} ${roundQuantity(Math.abs(total - input.quantity))} ${uom} ${total > input.quantity ? 'off' : 'to'} the parts.`,
          ),
        );
      const lot = await newBatchLot(tx, order, input.lotNumber, input.quantity, 'lotNumber');
      await linkConsumption(tx, order, lot);
      work.audit('MaterialLotProduced', lot, null, `batch split at ${segment.code}`);
      for (const part of input.parts) {
        const made = tx.create(MaterialLot, {
          lotNumber: part.lotNumber,
          materialDefinition: lot.materialDefinition,
          quantity: part.quantity,
          unitOfMeasure: lot.unitOfMeasure,
          status: lot.status,
          location: lot.location ?? null,
        });
        tx.create(LotGenealogy, {
          output: made,
          input: lot,
          quantity: part.quantity,
          workOrder: order,
          segment: segment.code,
        });
        work.audit('MaterialLotProduced', made, null, `split from ${lot.lotNumber} at ${segment.code}`);
      }
      // The parts hold all of the batch; its lot stays as the node of the genealogy.
      lot.quantity = 0;
      const before = snapshot(step);
      step.split = {
        lotNumber: lot.lotNumber,
        quantity: roundQuantity(input.quantity),
        parts: input.parts.map((p) => ({ lotNumber: p.lotNumber, quantity: roundQuantity(p.quantity) })),
      };
      const said = `${lot.lotNumber} split at ${segment.code} into ${input.parts.map((p) => p.lotNumber).join(', ')}`;
      work.audit('BatchSplit', step, before, said);
      orderChanged(work, this.bus.subjects, 'BatchSplit', order, order.state, undefined, said);
      return step;
    });
  }
}

/**
 * A campaign completes once all its batches are made (each made its lot and genealogy); it names
 * its last batch's lot, and the yield is that of all batches (called by `completeWorkOrder`).
 */
export async function completeCampaign(work: Work, subjects: Subjects, order: WorkOrder, producedLotNumber: string) {
  const { tx } = work;
  const batches = await tx.find(CampaignBatch, { workOrder: order }, { orderBy: { sequence: 'asc' } });
  const last = batches.at(-1);
  if (batches.length < order.campaignBatches!)
    fail(invalidInput('number', `${batches.length} of ${order.campaignBatches} batches are made; make the rest.`));
  if (last!.lotNumber !== producedLotNumber)
    fail(invalidInput('producedLotNumber', `a campaign completes naming its last batch's lot, ${last!.lotNumber}.`));
  await tx.nativeUpdate(
    MaterialReservation,
    { workOrder: order, status: ReservationStatus.Reserved },
    { status: ReservationStatus.Returned },
  );
  order.producedLot = producedLotNumber;
  const yieldOff = yieldProblem(order, roundQuantity(batches.reduce((sum, b) => sum + b.quantity, 0)));
  if (yieldOff)
    openDeviation(work, subjects, {
      order: order as WorkOrder & { equipment: { path: string } },
      lot: null,
      segment: null,
      kind: DeviationKind.YieldOutOfBracket,
      severity: DeviationSeverity.Major,
      description: yieldOff,
    });
  enterState(work, subjects, order, WorkOrderState.Completed);
  return order;
}
