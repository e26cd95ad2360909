import {
  AffectedOrder,
  CampaignBatch,
  EngineeringChangeDecision,
  LotGenealogy,
  MaterialDefinition,
  MaterialLot,
  MaterialLotStatus,
  MaterialReservation,
  Permission,
  Person,
  type ProductSegment,
  StepRecord,
  type WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { Principal } from '../../core/principal.js';
import { checkKey, roundQuantity } from '../../core/keys.js';
import { fail, invalidInput } from '../../core/failures.js';
import { findOrderFor } from './work-order-access.js';

/**
 * The batch being made: an order that is no campaign is its own one batch (`null`); a campaign's is
 * the one after those completed, and each of its batches runs every step of the snapshot.
 */
export async function batchInWork(tx: Tx, order: WorkOrder): Promise<number | null> {
  if (!order.campaignBatches) return null;
  return (await tx.count(CampaignBatch, { workOrder: order })) + 1;
}

/**
 * The step to do now, from the order's snapshot: the open one, else the next after those done (of
 * the batch in work, for a campaign: `batchesMade` + 1; null once every batch is made).
 */
export function stepToDo(order: WorkOrder, all: StepRecord[], batchesMade: number): ProductSegment | null {
  if (!order.snapshot) return null;
  const batch = order.campaignBatches ? batchesMade + 1 : null;
  if (batch && batch > order.campaignBatches!) return null;
  const steps = all.filter((s) => (s.batch ?? null) === batch);
  const open = steps.find((s) => !s.completedAt);
  return order.snapshot.segments.find((s) => s.code === open?.segment) ?? order.snapshot.segments[steps.length] ?? null;
}

/** The step records of the batch in work, in order. */
export function stepsOfBatch(tx: Tx, order: WorkOrder, batch: number | null): Promise<StepRecord[]> {
  return tx.find(StepRecord, { workOrder: order, batch }, { orderBy: { sequence: 'asc' } });
}

/** The split recorded at a step of the batch, if it was split. */
export async function splitOfBatch(tx: Tx, order: WorkOrder, batch: number | null) {
  const step = await tx.findOne(StepRecord, { workOrder: order, batch, split: { $ne: null } });
  return step?.split ? { segment: step.segment, ...step.split } : null;
}

/** Why an order waits for a supervisor: the approved engineering changes not yet decided for it. */
export async function pendingChanges(tx: Tx, order: WorkOrder): Promise<string[]> {
  const pending = await tx.find(
    AffectedOrder,
    { workOrder: order, decision: EngineeringChangeDecision.Pending },
    { populate: ['redline'] },
  );
  return pending.map(
    (p) =>
      `an engineering change (redline ${p.redline.id}: ${p.redline.change}) awaits a supervisor's decision (decideEngineeringChange).`,
  );
}

/**
 * Acts that decide what the batch becomes (completing a step, the batch or the order, splitting it)
 * wait for the supervisor while an engineering change is pending; recording what happened does not.
 */
export async function requireDecided(tx: Tx, order: WorkOrder, act: string): Promise<void> {
  const pending = await pendingChanges(tx, order);
  if (pending.length) fail(invalidInput('number', `${act} waits: ${pending.join(' ')}`));
}

/**
 * Links `lot` to what the order consumed and no earlier lot of it accounts for: for a campaign
 * batch, what went in since the batch before; for an order, all it consumed.
 */
export async function linkConsumption(tx: Tx, order: WorkOrder, lot: MaterialLot): Promise<void> {
  const reservations = await tx.find(MaterialReservation, { workOrder: order }, { populate: ['lot'] });
  const linked = await tx.find(LotGenealogy, { workOrder: order, segment: null }, { populate: ['input'] });
  const consumed = new Map<MaterialLot, number>();
  for (const r of reservations) consumed.set(r.lot, roundQuantity((consumed.get(r.lot) ?? 0) + r.consumedQuantity));
  for (const [input, total] of consumed) {
    const before = linked.filter((g) => g.input.id === input.id).reduce((sum, g) => sum + Number(g.quantity), 0);
    const quantity = roundQuantity(total - before);
    if (quantity > 0) tx.create(LotGenealogy, { output: lot, input, quantity, workOrder: order });
  }
}

/** The person at the station: the signed-in user whose subject is their employee id. */
export async function operatorOf(tx: Tx, principal: Principal): Promise<Person> {
  return (
    (principal.kind === 'user' ? await tx.findOne(Person, { employeeId: principal.id, active: true }) : null) ??
    fail(
      invalidInput(
        'operator',
        `steps are executed by a signed-in person of the plant; "${principal.name}" is not one.`,
      ),
    )
  );
}

/** The order's open step, which only its operator records. */
export async function openStep(tx: Tx, principal: Principal, number: string) {
  const order = await findOrderFor(tx, principal, number, Permission.ExecuteSteps);
  if (order.state !== WorkOrderState.InProgress)
    fail(invalidInput('number', `order ${number} is ${order.state}; steps are recorded while it is InProgress.`));
  const step =
    (await tx.findOne(StepRecord, { workOrder: order, completedAt: null })) ??
    fail(invalidInput('number', `order ${number} has no started step; start one first.`));
  const operator = await operatorOf(tx, principal);
  if (operator.employeeId !== step.operator)
    fail(invalidInput('number', `step ${step.segment} is being executed by ${step.operator}; only they record it.`));
  const segment = order.snapshot!.segments.find((s) => s.code === step.segment)!;
  return { order, step, segment };
}

/**
 * The lot a batch completes with when it was split at a step: the split's lot and quantity, named
 * again (the lot exists already, its parts took all of it).
 */
export function requireSplitNamed(
  split: { segment: string; lotNumber: string; quantity: number },
  lotField: string,
  lotNumber: string,
  quantityField: string,
  quantity: number,
): void {
  if (split.lotNumber !== lotNumber)
    fail(
      invalidInput(lotField, `the batch was split at ${split.segment} as lot ${split.lotNumber}; complete naming it.`),
    );
  if (roundQuantity(split.quantity) !== roundQuantity(quantity))
    fail(
      invalidInput(quantityField, `the batch was split at ${split.segment} as ${split.quantity}; complete with that.`),
    );
}

/** The batch's lot, in quarantine at the order's unit; its number must be new. */
export async function newBatchLot(tx: Tx, order: WorkOrder, lotNumber: string, quantity: number, field: string) {
  checkKey(field, lotNumber);
  if (await tx.count(MaterialLot, { lotNumber })) fail(invalidInput(field, `lot ${lotNumber} already exists.`));
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

/** Why no step can start: every step of the batch (or order) has run. */
export function noStepLeft(order: WorkOrder, batch: number | null) {
  if (!batch) return invalidInput('number', `order ${order.number} has no step left to start; complete the order.`);
  if (batch > order.campaignBatches!)
    return invalidInput('number', `all ${order.campaignBatches} batches of ${order.number} are made; complete it.`);
  return invalidInput('number', `batch ${batch} has run every step; complete it (completeCampaignBatch).`);
}

/** A campaign's next batch starts on a cleaned unit: the cleaning after the batch before is recorded. */
export async function campaignBlocks(tx: Tx, order: WorkOrder, batch: number): Promise<string[]> {
  if (batch === 1) return [];
  const before = await tx.findOneOrFail(CampaignBatch, { workOrder: order, sequence: batch - 1 });
  return before.cleanedAt
    ? []
    : [
        `the unit has not been cleaned since batch ${before.sequence} (lot ${before.lotNumber}); record the cleaning first (recordCampaignCleaning).`,
      ];
}
