import {
  CampaignBatch,
  DeviationKind,
  DeviationSeverity,
  type CompleteCampaignBatchInput,
  LotGenealogy,
  MaterialDefinition,
  MaterialLot,
  MaterialLotStatus,
  MaterialReservation,
  Permission,
  type RecordCampaignCleaningInput,
  ReservationStatus,
  type SplitBatchInput,
  type WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { Principal } from '../../core/principal.js';
import { checkKey, checkQuantity, checkText, roundQuantity } from '../../core/keys.js';
import { snapshot, type UnitOfWork, type Work } from '../../core/unit-of-work.js';
import type { Subjects } from '../../subjects.js';
import { fail, invalidInput } from '../../core/failures.js';
import { orderChanged } from './work-order-events.js';
import { findOrderFor } from './work-order-access.js';
import { openDeviation, yieldProblem } from './deviation.service.js';
import { enterState } from './work-order-lifecycle.service.js';

/**
 * Order kinds beyond one order, one lot: a campaign (several batches one after another on the
 * order's unit, each its own lot and genealogy, the unit cleaned between them) and a split (a batch
 * divided into downstream lots at a step, linked both ways in the genealogy).
 */
export class CampaignService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly bus: MessageBus,
  ) {}

  /** The next batch of a campaign: its lot (in quarantine) from what was consumed since the batch before. */
  completeBatch(principal: Principal, input: CompleteCampaignBatchInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkKey('lotNumber', input.lotNumber);
      checkQuantity('quantity', input.quantity);
      if (!(input.quantity > 0)) fail(invalidInput('quantity', 'must be above 0.'));
      const order = await findOrderFor(tx, principal, input.number, Permission.ExecuteSteps);
      const planned = order.campaignBatches ?? fail(invalidInput('number', `order ${order.number} is no campaign.`));
      if (order.state !== WorkOrderState.InProgress)
        fail(
          invalidInput('number', `order ${order.number} is ${order.state}; batches are made while it is InProgress.`),
        );
      const batches = await tx.find(CampaignBatch, { workOrder: order }, { orderBy: { sequence: 'asc' } });
      const sequence = batches.length + 1;
      if (sequence > planned)
        fail(invalidInput('number', `all ${planned} batches of the campaign are made; complete the order.`));
      const last = batches.at(-1);
      if (last && !last.cleanedAt)
        fail(
          invalidInput(
            'number',
            `the unit has not been cleaned since batch ${last.sequence} (lot ${last.lotNumber}); record the cleaning first (recordCampaignCleaning).`,
          ),
        );
      const lot = await this.newLot(tx, order, input.lotNumber, input.quantity);
      // What the reservations gave since the batch before is what went into this one.
      const reservations = await tx.find(MaterialReservation, { workOrder: order }, { populate: ['lot'] });
      const linked = await tx.find(LotGenealogy, { workOrder: order, segment: null }, { populate: ['input'] });
      const consumed = new Map<MaterialLot, number>();
      for (const r of reservations) consumed.set(r.lot, roundQuantity((consumed.get(r.lot) ?? 0) + r.consumedQuantity));
      for (const [input, total] of consumed) {
        const before = linked.filter((g) => g.input.id === input.id).reduce((sum, g) => sum + g.quantity, 0);
        const quantity = roundQuantity(total - before);
        if (quantity > 0) tx.create(LotGenealogy, { output: lot, input, quantity, workOrder: order });
      }
      const batch = tx.create(CampaignBatch, {
        workOrder: order,
        sequence,
        lotNumber: lot.lotNumber,
        quantity: input.quantity,
        completedBy: principal.name,
        completedAt: new Date(),
      });
      work.audit('MaterialLotProduced', lot);
      work.audit('CampaignBatchCompleted', batch);
      const said = `batch ${sequence} of ${planned}: lot ${lot.lotNumber}`;
      orderChanged(work, this.bus.subjects, 'CampaignBatchCompleted', order, order.state, undefined, said);
      return batch;
    });
  }

  /** The cleaning of the unit after the campaign's latest batch; the next batch waits for it. */
  recordCleaning(principal: Principal, input: RecordCampaignCleaningInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkText('cleaning', input.cleaning, 2000);
      const order = await findOrderFor(tx, principal, input.number, Permission.ExecuteSteps);
      if (!order.campaignBatches) fail(invalidInput('number', `order ${order.number} is no campaign.`));
      const [last] = await tx.find(CampaignBatch, { workOrder: order }, { orderBy: { sequence: 'desc' }, limit: 1 });
      if (!last || last.cleanedAt)
        fail(invalidInput('number', `no batch of ${order.number} is waiting for cleaning; make the next batch.`));
      const before = snapshot(last);
      Object.assign(last, { cleaning: input.cleaning.trim(), cleanedBy: principal.name, cleanedAt: new Date() });
      work.audit('CampaignCleaningRecorded', last, before, last.cleaning);
      orderChanged(work, this.bus.subjects, 'CampaignCleaningRecorded', order, order.state, undefined, last.cleaning);
      return last;
    });
  }

  /**
   * Splits a batch the order produced into downstream lots at one of its steps: each part a new lot
   * of the same material and status, linked to the batch (so the batch's outputs list the parts, and
   * each part's inputs the batch); the batch keeps what is left.
   */
  splitBatch(principal: Principal, input: SplitBatchInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const order = await findOrderFor(tx, principal, input.number, Permission.ExecuteSteps);
      const ours =
        order.producedLot === input.lotNumber ||
        (await tx.count(CampaignBatch, { workOrder: order, lotNumber: input.lotNumber })) > 0;
      if (!ours)
        fail(invalidInput('lotNumber', `lot ${input.lotNumber} is not a batch order ${order.number} produced.`));
      if (!order.snapshot?.segments.some((s) => s.code === input.segment))
        fail(invalidInput('segment', `the order's snapshot has no segment "${input.segment}".`));
      if (input.parts.length < 2) fail(invalidInput('parts', 'a split gives at least two lots.'));
      const batch = await tx.findOneOrFail(MaterialLot, { lotNumber: input.lotNumber }, { populate: ['location'] });
      const numbers = new Set<string>();
      for (const [i, part] of input.parts.entries()) {
        checkKey(`parts[${i}].lotNumber`, part.lotNumber);
        checkQuantity(`parts[${i}].quantity`, part.quantity);
        if (!(part.quantity > 0)) fail(invalidInput(`parts[${i}].quantity`, 'must be above 0.'));
        if (numbers.has(part.lotNumber)) fail(invalidInput(`parts[${i}].lotNumber`, 'is given twice.'));
        numbers.add(part.lotNumber);
      }
      const total = roundQuantity(input.parts.reduce((sum, p) => sum + p.quantity, 0));
      if (total > batch.quantity)
        fail(
          invalidInput('parts', `${total} ${batch.unitOfMeasure} exceed the ${batch.quantity} of ${batch.lotNumber}.`),
        );
      const before = snapshot(batch);
      for (const part of input.parts) {
        if (await tx.count(MaterialLot, { lotNumber: part.lotNumber }))
          fail(invalidInput('parts', `lot ${part.lotNumber} already exists.`));
        const lot = tx.create(MaterialLot, {
          lotNumber: part.lotNumber,
          materialDefinition: batch.materialDefinition,
          quantity: part.quantity,
          unitOfMeasure: batch.unitOfMeasure,
          status: batch.status,
          location: batch.location ?? null,
        });
        tx.create(LotGenealogy, {
          output: lot,
          input: batch,
          quantity: part.quantity,
          workOrder: order,
          segment: input.segment,
        });
        work.audit('MaterialLotProduced', lot, null, `split from ${batch.lotNumber} at ${input.segment}`);
      }
      batch.quantity = roundQuantity(batch.quantity - total);
      const said = `${batch.lotNumber} split at ${input.segment} into ${[...numbers].join(', ')}`;
      work.audit('MaterialLotSplit', batch, before, said);
      orderChanged(work, this.bus.subjects, 'BatchSplit', order, order.state, undefined, said);
      return batch;
    });
  }

  private async newLot(tx: Tx, order: WorkOrder, lotNumber: string, quantity: number) {
    if (await tx.count(MaterialLot, { lotNumber })) fail(invalidInput('lotNumber', `lot ${lotNumber} already exists.`));
    const produced = order.snapshot!.producedMaterial;
    return tx.create(MaterialLot, {
      lotNumber,
      materialDefinition: await tx.findOneOrFail(MaterialDefinition, { code: produced.code }),
      quantity,
      unitOfMeasure: produced.unitOfMeasure,
      status: MaterialLotStatus.Quarantine,
      location: order.equipment,
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
