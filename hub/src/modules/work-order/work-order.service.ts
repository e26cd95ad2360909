import type { FilterQuery } from '@mikro-orm/core';
import {
  type CreateWorkOrderInput,
  Equipment,
  type ImportWorkOrderInput,
  WorkOrderImport,
  WorkOrderImportOutcome,
  WorkOrderState,
  ProductDefinition,
  ProductDefinitionVersion,
  Permission,
  ProductDefinitionVersionState,
  WorkOrder,
  type WorkOrderFilter,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { paginate, type PageRequest } from '../../core/paging.js';
import { checkKey, checkQuantity, checkText, underPathOf } from '../../core/keys.js';
import { scopedSubscription, type StreamOptions } from '../../core/scoped-subscription.js';
import type { EventSource } from '../../core/event-feed.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import type { Principal } from '../../core/principal.js';
import { pathsVisible, requireAt } from '../../core/visibility.js';
import { orderChanged, type WorkOrderChange } from './work-order-events.js';
import { keyTaken, fail, invalidInput, unknownReference } from '../../core/failures.js';

const MAKEABLE = [ProductDefinitionVersionState.Approved, ProductDefinitionVersionState.Active];

/** Work orders: stored and queried here; the regulated lifecycle builds on this. */
export class WorkOrderService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly events: EventSource,
  ) {}

  get(em: Tx, principal: Principal, number: string) {
    return em.findOne(WorkOrder, { $and: [{ number }, { equipment: pathsVisible(principal) }] });
  }

  list(em: Tx, principal: Principal, filter: WorkOrderFilter | null | undefined, page: PageRequest) {
    const where: FilterQuery<WorkOrder>[] = [{ equipment: pathsVisible(principal) } as FilterQuery<WorkOrder>];
    if (filter?.state?.length) where.push({ state: { $in: filter.state } });
    if (filter?.equipmentPrefix) where.push({ equipment: underPathOf(filter.equipmentPrefix) });
    if (filter?.productDefinition)
      where.push({ productDefinitionVersion: { productDefinition: { code: filter.productDefinition } } });
    return paginate(em, WorkOrder, { $and: where }, page, 'number');
  }

  /** Live changes of orders running at `scope` and below, limited to what the caller may read. */
  subscribeChanges(principal: Principal, scope: string, stream: StreamOptions = {}): AsyncIterable<WorkOrderChange> {
    return scopedSubscription<WorkOrderChange & { at: string }, WorkOrderChange>(this.events, principal, scope, {
      patterns: (s) => this.events.subjects.workOrderChangedScope(s),
      what: 'work orders',
      toValue: (event) => ({ ...event, at: new Date(event.at) }),
      stream,
    });
  }

  create(principal: Principal, input: CreateWorkOrderInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      if (await tx.count(WorkOrder, { number: input.number })) fail(keyTaken('work order number', input.number));
      const plan = await planOrder(tx, principal, input);
      const order = tx.create(WorkOrder, { ...plan, number: input.number });
      orderChanged(work, this.events.subjects, 'WorkOrderCreated', order, null);
      return order;
    });
  }

  /**
   * The Draft of an order from another system (an ERP), idempotent by its external reference: created
   * once, brought up to date while it is a Draft, never changed once released (a Conflict, reported).
   */
  importOrder(principal: Principal, input: ImportWorkOrderInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkText('externalReference', input.externalReference);
      const existing = await tx.findOne(WorkOrder, { number: input.number }, { populate: ['equipment'] });
      if (existing && existing.externalReference !== input.externalReference)
        fail(keyTaken('work order number', input.number));
      const elsewhere = await tx.findOne(WorkOrder, { externalReference: input.externalReference });
      if (elsewhere && elsewhere.number !== input.number)
        fail(invalidInput('externalReference', `${input.externalReference} was imported under another number.`));
      const plan = await planOrder(tx, principal, input);
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
        const order = tx.create(WorkOrder, {
          ...plan,
          number: input.number,
          externalReference: input.externalReference,
        });
        orderChanged(work, this.events.subjects, 'WorkOrderCreated', order, null);
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
      const before = snapshot(existing);
      const same =
        existing.productDefinitionVersion.id === plan.productDefinitionVersion.id &&
        Number(existing.quantity) === plan.quantity &&
        existing.equipment.id === plan.equipment.id &&
        existing.plannedStart?.getTime() === plan.plannedStart?.getTime() &&
        existing.plannedEnd?.getTime() === plan.plannedEnd?.getTime();
      if (same) return answer(WorkOrderImportOutcome.Unchanged, existing, `Order ${input.number} is up to date.`);
      Object.assign(existing, plan);
      orderChanged(work, this.events.subjects, 'WorkOrderUpdated', existing, WorkOrderState.Draft, before);
      return answer(WorkOrderImportOutcome.Updated, existing, `Updated Draft ${input.number}.`);
    });
  }
}

/** Checks an order's plan and resolves what it names, for the caller: the fields of a new or updated Draft. */
async function planOrder(tx: Tx, principal: Principal, input: CreateWorkOrderInput | ImportWorkOrderInput) {
  checkKey('number', input.number);
  checkQuantity('quantity', input.quantity);
  if (input.quantity === 0) fail(invalidInput('quantity', 'must be above 0.'));
  if (input.plannedStart && input.plannedEnd && input.plannedEnd <= input.plannedStart)
    fail(invalidInput('plannedEnd', 'must be after plannedStart.'));
  const definition =
    (await tx.findOne(ProductDefinition, { code: input.productDefinition }, { populate: ['producedMaterial'] })) ??
    fail(unknownReference('productDefinition', 'product definition', input.productDefinition));
  const version = await findMakeableVersion(tx, definition, input.version);
  const equipment =
    (await tx.findOne(Equipment, { path: input.equipment })) ??
    fail(unknownReference('equipment', 'equipment', input.equipment));
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
  };
}

async function findMakeableVersion(
  tx: Tx,
  definition: ProductDefinition,
  number: number | null | undefined,
): Promise<ProductDefinitionVersion> {
  if (number == null) {
    return (
      (await tx.findOne(ProductDefinitionVersion, {
        productDefinition: definition,
        state: ProductDefinitionVersionState.Active,
      })) ??
      fail(
        invalidInput(
          'productDefinition',
          `${definition.code} has no Active version; activate one or give an Approved version number.`,
        ),
      )
    );
  }
  const version =
    (await tx.findOne(ProductDefinitionVersion, { productDefinition: definition, version: number })) ??
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
