import type { FilterQuery } from '@mikro-orm/core';
import {
  type CreateWorkOrderInput,
  Equipment,
  ProductDefinition,
  ProductDefinitionVersion,
  Permission,
  ProductDefinitionVersionState,
  WorkOrder,
  type WorkOrderFilter,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { paginate, type PageRequest } from '../../core/paging.js';
import { checkKey, checkQuantity, underPathOf } from '../../core/keys.js';
import { scopedSubscription, type StreamOptions } from '../../core/scoped-subscription.js';
import type { EventSource } from '../../core/event-feed.js';
import { type UnitOfWork } from '../../core/unit-of-work.js';
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
      checkKey('number', input.number);
      checkQuantity('quantity', input.quantity);
      if (input.quantity === 0) fail(invalidInput('quantity', 'must be above 0.'));
      if (input.plannedStart && input.plannedEnd && input.plannedEnd <= input.plannedStart)
        fail(invalidInput('plannedEnd', 'must be after plannedStart.'));
      if (await tx.count(WorkOrder, { number: input.number })) fail(keyTaken('work order number', input.number));
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
      const order = tx.create(WorkOrder, {
        number: input.number,
        productDefinitionVersion: version,
        quantity: input.quantity,
        unitOfMeasure: definition.producedMaterial.unitOfMeasure,
        equipment,
        plannedStart: input.plannedStart ?? null,
        plannedEnd: input.plannedEnd ?? null,
      });
      orderChanged(work, this.events.subjects, 'WorkOrderCreated', order, null);
      return order;
    });
  }
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
