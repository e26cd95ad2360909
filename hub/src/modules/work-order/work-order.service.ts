import type { FilterQuery } from '@mikro-orm/core';
import {
  type CreateWorkOrderInput,
  type ImportWorkOrderInput,
  WorkOrder,
  type WorkOrderFilter,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { paginatePlain, type PageRequest } from '../../core/paging.js';
import { underPathOf } from '../../core/keys.js';
import { scopedSubscription, type StreamOptions } from '../../core/scoped-subscription.js';
import type { EventSource } from '../../core/event-feed.js';
import type { UnitOfWork } from '../../core/unit-of-work.js';
import type { Principal } from '../../core/principal.js';
import { pathsVisible } from '../../core/visibility.js';
import { orderChanged, type WorkOrderChange } from './work-order-events.js';
import { fail, isFailure, keyTaken } from '../../core/failures.js';
import { importOrders, lookUpReferences, planOrder } from './work-order-import.js';

/**
 * The order's own JSONB columns. Its related records are always read whole: they are handed to the
 * request's loaders, where another field of the request may need all of their columns.
 */
export const WORK_ORDER_JSONB = ['snapshot', 'assignments'] as const;
export type WorkOrderJsonb = (typeof WORK_ORDER_JSONB)[number];

/** What a list of orders will be read for (see `WorkOrderService.list`). */
export interface WorkOrderRead {
  with?: ('productDefinitionVersion.productDefinition' | 'productDefinitionVersion' | 'equipment')[];
  /** JSONB properties of the order to leave unread. */
  without?: WorkOrderJsonb[];
}

/** Work orders: stored and queried here; the regulated lifecycle builds on this. */
export class WorkOrderService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly events: EventSource,
  ) {}

  get(em: Tx, principal: Principal, number: string) {
    return em.findOne(WorkOrder, { $and: [{ number }, { equipment: pathsVisible(principal) }] });
  }

  /**
   * Orders to show (plain objects, not entities: `paginatePlain`); `read` names what will be shown:
   * the related records in `with` come whole in the same statement, the JSONB columns in `without`
   * are left unread (null).
   */
  list(
    em: Tx,
    principal: Principal,
    filter: WorkOrderFilter | null | undefined,
    page: PageRequest,
    read: WorkOrderRead = {},
  ) {
    const where: FilterQuery<WorkOrder>[] = [{ equipment: pathsVisible(principal) } as FilterQuery<WorkOrder>];
    if (filter?.state?.length) where.push({ state: { $in: filter.state } });
    if (filter?.equipmentPrefix) where.push({ equipment: underPathOf(filter.equipmentPrefix) });
    if (filter?.productDefinition)
      where.push({ productDefinitionVersion: { productDefinition: { code: filter.productDefinition } } });
    return paginatePlain(em, WorkOrder, { $and: where }, page, 'number', 'asc', read);
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
      const plan = planOrder(await lookUpReferences(tx, [input]), principal, input);
      const order = tx.create(WorkOrder, { ...plan, number: input.number });
      orderChanged(work, this.events.subjects, 'WorkOrderCreated', order, null);
      return order;
    });
  }

  /**
   * Drafts of orders from another system (an ERP), idempotent by their external references, in one unit of
   * work: one transaction, audited, with its events in the outbox; an answer per order (`work-order-import.ts`).
   */
  importOrders(principal: Principal, inputs: readonly ImportWorkOrderInput[]) {
    return this.uow.run(principal.name, (work) => importOrders(work, this.events.subjects, principal, inputs));
  }

  /** One order's import: a batch of one, so both go through the same code. */
  async importOrder(principal: Principal, input: ImportWorkOrderInput) {
    const answers = await this.importOrders(principal, [input]);
    return isFailure(answers) ? answers : answers[0]!;
  }
}
