import {
  type CreateWorkOrderInput,
  Equipment,
  type ImportWorkOrderInput,
  Permission,
  ProductDefinition,
  ProductDefinitionVersion,
  ProductDefinitionVersionState,
  WorkOrder,
  WorkOrderImport,
  WorkOrderImportOutcome,
  WorkOrderState,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { checkKey, checkQuantity, checkText } from '../../core/keys.js';
import {
  type DomainFailure,
  fail,
  FailureError,
  invalidInput,
  keyTaken,
  unknownReference,
} from '../../core/failures.js';
import { badUserInput } from '../../core/faults.js';
import { snapshot, type Work } from '../../core/unit-of-work.js';
import type { Principal } from '../../core/principal.js';
import { requireAt } from '../../core/visibility.js';
import type { Subjects } from '../../subjects.js';
import { insertEntities } from '../../infrastructure/database/insert-entities.js';
import { orderChanged } from './work-order-events.js';

/**
 * Orders one import may carry: enough for a poll page of an ERP, few enough that one transaction (and
 * the audit chain's lock it holds) stays short.
 */
export const IMPORT_BATCH_LIMIT = 500;

const MAKEABLE = [ProductDefinitionVersionState.Approved, ProductDefinitionVersionState.Active];

type PlanInput = CreateWorkOrderInput | ImportWorkOrderInput;

/** What a batch of orders names, looked up with one query per kind rather than per order. */
export interface References {
  definitions: Map<string, ProductDefinition>;
  /** Keyed `code/version`; `code/active` for the Active version. */
  versions: Map<string, ProductDefinitionVersion>;
  equipment: Map<string, Equipment>;
}

export async function lookUpReferences(tx: Tx, inputs: readonly PlanInput[]): Promise<References> {
  const codes = [...new Set(inputs.map((i) => i.productDefinition))];
  const paths = [...new Set(inputs.map((i) => i.equipment))];
  const numbers = [...new Set(inputs.flatMap((i) => (i.version == null ? [] : [i.version])))];
  // One after another: the queries share the transaction's connection and entity manager.
  const definitions = codes.length
    ? await tx.find(ProductDefinition, { code: { $in: codes } }, { populate: ['producedMaterial'] })
    : [];
  const equipment = paths.length ? await tx.find(Equipment, { path: { $in: paths } }) : [];
  const versions = definitions.length
    ? await tx.find(ProductDefinitionVersion, {
        productDefinition: { $in: definitions },
        $or: [
          { state: ProductDefinitionVersionState.Active },
          ...(numbers.length ? [{ version: { $in: numbers } }] : []),
        ],
      })
    : [];
  const codeOf = new Map(definitions.map((d) => [d.id, d.code]));
  const byVersion = new Map<string, ProductDefinitionVersion>();
  for (const v of versions) {
    const code = codeOf.get(v.productDefinition.id)!;
    byVersion.set(`${code}/${v.version}`, v);
    if (v.state === ProductDefinitionVersionState.Active) byVersion.set(`${code}/active`, v);
  }
  return {
    definitions: new Map(definitions.map((d) => [d.code, d])),
    versions: byVersion,
    equipment: new Map(equipment.map((e) => [e.path, e])),
  };
}

/** Checks an order's plan against what the batch looked up: the fields of a new or updated Draft. */
export function planOrder(refs: References, principal: Principal, input: PlanInput) {
  checkKey('number', input.number);
  checkQuantity('quantity', input.quantity);
  if (input.quantity === 0) fail(invalidInput('quantity', 'must be above 0.'));
  if (input.plannedStart && input.plannedEnd && input.plannedEnd <= input.plannedStart)
    fail(invalidInput('plannedEnd', 'must be after plannedStart.'));
  const definition =
    refs.definitions.get(input.productDefinition) ??
    fail(unknownReference('productDefinition', 'product definition', input.productDefinition));
  const version = makeableVersion(refs, definition, input.version);
  const equipment =
    refs.equipment.get(input.equipment) ?? fail(unknownReference('equipment', 'equipment', input.equipment));
  requireAt(principal, Permission.PlanWorkOrders, equipment.path, () =>
    unknownReference('equipment', 'equipment', input.equipment),
  );
  return {
    productDefinitionVersion: version,
    quantity: input.quantity,
    unitOfMeasure: definition.producedMaterial.unitOfMeasure,
    equipment,
    plannedStart: input.plannedStart ?? null,
    plannedEnd: input.plannedEnd ?? null,
    campaignBatches: campaignBatchesOf(input.campaignBatches),
  };
}

/** A campaign is two or more batches (a hundred at most); one batch is an ordinary order. */
function campaignBatchesOf(batches: number | null | undefined): number | null {
  if (batches == null) return null;
  if (!Number.isInteger(batches) || batches < 2 || batches > 100)
    fail(invalidInput('campaignBatches', `give 2 to 100 batches, or none for one (got ${batches}).`));
  return batches;
}

function makeableVersion(refs: References, definition: ProductDefinition, number: number | null | undefined) {
  if (number == null)
    return (
      refs.versions.get(`${definition.code}/active`) ??
      fail(
        invalidInput(
          'productDefinition',
          `${definition.code} has no Active version; activate one or give an Approved version number.`,
        ),
      )
    );
  const version =
    refs.versions.get(`${definition.code}/${number}`) ??
    fail(unknownReference('version', 'product definition version', `${definition.code}/${number}`));
  if (!MAKEABLE.includes(version.state))
    fail(
      invalidInput(
        'version',
        `version ${number} of ${definition.code} is ${version.state}; only Approved or Active versions can be made.`,
      ),
    );
  return version;
}

/**
 * Drafts of orders from another system (an ERP), idempotent by their external references, in the caller's
 * unit of work: created once, brought up to date while a Draft, never changed once released (a Conflict).
 * Each order gets its own answer; a refused order (a failure) leaves the others alone. The existing
 * orders and everything the orders name are read with a few queries for the whole batch, and the new
 * Drafts are written with one multi-row insert (their audit records and events follow in the unit of
 * work's own multi-row inserts), so the cost per order is its share of a few statements.
 */
export async function importOrders(
  work: Work,
  subjects: Subjects,
  principal: Principal,
  inputs: readonly ImportWorkOrderInput[],
): Promise<(WorkOrderImport | DomainFailure)[]> {
  if (inputs.length > IMPORT_BATCH_LIMIT)
    throw badUserInput(`At most ${IMPORT_BATCH_LIMIT} orders per import; split the ${inputs.length} into batches.`);
  const { tx } = work;
  const numbers = inputs.map((i) => i.number);
  const references = inputs.map((i) => i.externalReference);
  const existing = inputs.length
    ? await tx.find(
        WorkOrder,
        { $or: [{ number: { $in: numbers } }, { externalReference: { $in: references } }] },
        { populate: ['equipment'] },
      )
    : [];
  const refs = await lookUpReferences(tx, inputs);
  const byNumber = new Map(existing.map((o) => [o.number, o]));
  const byReference = new Map(existing.filter((o) => o.externalReference).map((o) => [o.externalReference!, o]));
  // New Drafts are not handed to the unit of work (its change set per entity was most of an import's cost):
  // a later order of the batch may still update one, so they are written once all are answered.
  const created = new Set<WorkOrder>();
  const answers = inputs.map((input) => {
    try {
      const answer = importOne(work, subjects, principal, refs, input, byNumber.get(input.number), byReference);
      if (answer.outcome === WorkOrderImportOutcome.Created) created.add(answer.workOrder);
      byNumber.set(input.number, answer.workOrder);
      byReference.set(input.externalReference, answer.workOrder);
      return answer;
    } catch (err) {
      if (err instanceof FailureError) return err.failure;
      throw err;
    }
  });
  await insertEntities(tx, WorkOrder, [...created]);
  return answers;
}

function importOne(
  work: Work,
  subjects: Subjects,
  principal: Principal,
  refs: References,
  input: ImportWorkOrderInput,
  existing: WorkOrder | undefined,
  byReference: Map<string, WorkOrder>,
): WorkOrderImport {
  checkText('externalReference', input.externalReference);
  if (existing && existing.externalReference !== input.externalReference)
    fail(keyTaken('work order number', input.number));
  const elsewhere = byReference.get(input.externalReference);
  if (elsewhere && elsewhere.number !== input.number)
    fail(invalidInput('externalReference', `${input.externalReference} was imported under another number.`));
  const plan = planOrder(refs, principal, input);
  if (input.unitOfMeasure && input.unitOfMeasure !== plan.unitOfMeasure)
    fail(
      invalidInput(
        'unitOfMeasure',
        `is ${input.unitOfMeasure}; ${input.productDefinition} is made in ${plan.unitOfMeasure}.`,
      ),
    );
  const answer = (outcome: WorkOrderImportOutcome, order: WorkOrder, message: string) =>
    Object.assign(new WorkOrderImport(), { outcome, workOrder: order, message });
  if (!existing) {
    const order = Object.assign(new WorkOrder(), plan, {
      number: input.number,
      externalReference: input.externalReference,
    });
    orderChanged(work, subjects, 'WorkOrderCreated', order, null);
    return answer(WorkOrderImportOutcome.Created, order, `Created ${input.number} in Draft.`);
  }
  requireAt(principal, Permission.PlanWorkOrders, existing.equipment.path, () =>
    keyTaken('work order number', input.number),
  );
  if (existing.state !== WorkOrderState.Draft) {
    const message =
      `Order ${input.number} is ${existing.state}: the import changed nothing. ` +
      'Change it in the hub, or cancel it and import again under a new number.';
    return answer(WorkOrderImportOutcome.Conflict, existing, message);
  }
  const same =
    existing.productDefinitionVersion.id === plan.productDefinitionVersion.id &&
    Number(existing.quantity) === plan.quantity &&
    existing.equipment.id === plan.equipment.id &&
    existing.plannedStart?.getTime() === plan.plannedStart?.getTime() &&
    existing.plannedEnd?.getTime() === plan.plannedEnd?.getTime();
  if (same) return answer(WorkOrderImportOutcome.Unchanged, existing, `Order ${input.number} is up to date.`);
  const before = snapshot(existing);
  Object.assign(existing, plan);
  orderChanged(work, subjects, 'WorkOrderUpdated', existing, WorkOrderState.Draft, before);
  return answer(WorkOrderImportOutcome.Updated, existing, `Updated Draft ${input.number}.`);
}
