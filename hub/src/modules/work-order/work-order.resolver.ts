import {
  CreateWorkOrderInput,
  CreateWorkOrderResult,
  Equipment,
  ImportWorkOrderInput,
  ImportWorkOrderResult,
  ProductDefinitionVersion,
  WorkOrder,
  WorkOrderFilter,
  Permission,
  JOB_ORDER_STATE,
  JobOrderState,
  MaterialLot,
  MaterialReservation,
  ReleaseWorkOrderInput,
  WorkOrderTransitionInput,
  WorkOrderTransitionResult,
} from '@plantgraph/schema';
import { Arg, Args, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { fieldsSelected } from '../../graphql/selection.js';
import { WORK_ORDER_JSONB, type WorkOrderRead } from './work-order.service.js';
import { WorkOrderEvent } from './work-order.types.js';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { WorkOrderConnection } from './work-order.types.js';
import { PageArgs } from '../../graphql/pagination.js';
import { AFTER, openStream, streamOf, toGraphQLResult } from '../../graphql/failures.js';
import { isFailure } from '../../core/failures.js';
import { IMPORT_BATCH_LIMIT } from './work-order-import.js';
import { WorkOrderCounts } from '../oee/oee.types.js';

@Resolver(() => WorkOrder)
export class WorkOrderResolver {
  @Query(() => WorkOrder, { nullable: true })
  @Allow(Permission.Read)
  workOrder(@Arg('number') number: string, @Ctx() ctx: HubContext) {
    return ctx.services.workOrder.get(ctx.em, ctx.principal, number);
  }

  @Query(() => WorkOrderConnection, { description: 'Work orders ordered by number.' })
  @Allow(Permission.Read)
  async workOrders(
    @Arg('filter', () => WorkOrderFilter, { nullable: true }) filter: WorkOrderFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: HubContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    const node = ['edges', 'node'];
    const selected = (path: string) => {
      const names = path.split('.');
      return fieldsSelected(info, [...node, ...names.slice(0, -1)]).has(names.at(-1)!);
    };
    const read: WorkOrderRead = {
      with: (['productDefinitionVersion.productDefinition', 'productDefinitionVersion', 'equipment'] as const).filter(
        selected,
      ),
      // `currentStep` works from the snapshot.
      without: selected('currentStep') ? [] : WORK_ORDER_JSONB.filter((path) => !selected(path)),
    };
    const orders = await ctx.services.workOrder.list(ctx.em, ctx.principal, filter, page, read);
    ctx.loaders.primeWithOrders(
      orders.edges.map((e) => e.node),
      read.with ?? [],
    );
    return orders;
  }

  @FieldResolver(() => ProductDefinitionVersion)
  productDefinitionVersion(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.productDefinitionVersion.load(order.productDefinitionVersion.id);
  }

  @FieldResolver(() => Equipment)
  equipment(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.equipment.load(order.equipment.id);
  }

  @FieldResolver(() => JobOrderState, {
    description: 'The OPC UA ISA-95 job control state, for equipment-facing systems.',
  })
  jobControlState(@Root() order: WorkOrder) {
    return JOB_ORDER_STATE[order.state];
  }

  @FieldResolver(() => WorkOrderCounts, {
    description: "Good, scrap and rework parts the order's machines counted while it ran (what an ERP is told).",
  })
  counts(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return ctx.services.oee.orderCounts(ctx.em, ctx.principal, order);
  }

  @FieldResolver(() => [MaterialReservation], { description: 'Material held, consumed or returned for the order.' })
  reservations(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.reservationsOfOrder.load(order.id);
  }

  @Mutation(() => WorkOrderTransitionResult, {
    description: 'Draft → Released: snapshots the master record, checks people, equipment and material, reserves lots.',
  })
  @Allow(Permission.ReleaseToProduction)
  releaseWorkOrder(@Arg('input') input: ReleaseWorkOrderInput, @Ctx() ctx: HubContext) {
    return ctx.services.workOrderLifecycle.release(ctx.principal, input);
  }

  @Mutation(() => WorkOrderTransitionResult, { description: 'Released → InProgress.' })
  @Allow(Permission.ExecuteSteps)
  startWorkOrder(@Arg('input') input: WorkOrderTransitionInput, @Ctx() ctx: HubContext) {
    return ctx.services.workOrderLifecycle.start(ctx.principal, input);
  }

  @Mutation(() => WorkOrderTransitionResult, { description: 'InProgress → Paused; needs a reason.' })
  @Allow(Permission.ExecuteSteps)
  pauseWorkOrder(@Arg('input') input: WorkOrderTransitionInput, @Ctx() ctx: HubContext) {
    return ctx.services.workOrderLifecycle.pause(ctx.principal, input);
  }

  @Mutation(() => WorkOrderTransitionResult, { description: 'Paused → InProgress.' })
  @Allow(Permission.ExecuteSteps)
  resumeWorkOrder(@Arg('input') input: WorkOrderTransitionInput, @Ctx() ctx: HubContext) {
    return ctx.services.workOrderLifecycle.resume(ctx.principal, input);
  }

  @Mutation(() => WorkOrderTransitionResult, {
    description: 'Draft, Released or Paused → Cancelled; needs a reason; returns every reservation.',
  })
  @Allow(Permission.PlanWorkOrders)
  cancelWorkOrder(@Arg('input') input: WorkOrderTransitionInput, @Ctx() ctx: HubContext) {
    return ctx.services.workOrderLifecycle.cancel(ctx.principal, input);
  }

  @Subscription(() => WorkOrderEvent, {
    description: 'Each change of the orders running at `scope` (a path prefix) and below.',
    subscribe: ({ args, context }) => {
      const ctx = context as HubContext;
      return openStream(() =>
        ctx.services.workOrder.subscribeChanges(ctx.principal, args.scope as string, streamOf(ctx, args)),
      );
    },
  })
  @Allow(Permission.Read)
  workOrderChanged(
    @Root() event: WorkOrderEvent,
    @Arg('scope') _scope: string,
    @Arg('after', () => String, { nullable: true, description: AFTER }) _after: string | null,
  ) {
    return event;
  }

  @Mutation(() => CreateWorkOrderResult, {
    description:
      'Creates a work order in Draft; work order numbers are unique across the installation. A number that is taken, even by a record outside your scopes, fails with DuplicateKey: the same answer whoever asks, naming nothing but the number.',
  })
  @Allow(Permission.PlanWorkOrders)
  createWorkOrder(@Arg('input') input: CreateWorkOrderInput, @Ctx() ctx: HubContext) {
    return ctx.services.workOrder.create(ctx.principal, input);
  }

  @Mutation(() => ImportWorkOrderResult, {
    description:
      'The Draft of an order from another system (an ERP connector), idempotent by `externalReference`: creates it, or updates it while it is a Draft; a released order is never changed (outcome Conflict).',
  })
  @Allow(Permission.PlanWorkOrders)
  importWorkOrder(@Arg('input') input: ImportWorkOrderInput, @Ctx() ctx: HubContext) {
    return ctx.services.workOrder.importOrder(ctx.principal, input);
  }

  @Mutation(() => [ImportWorkOrderResult], {
    description: `Imports up to ${IMPORT_BATCH_LIMIT} orders as \`importWorkOrder\` does, in one transaction, with an answer per order in the order given: WorkOrderImport (Created, Updated, Unchanged, Conflict) or why the order was refused (DuplicateKey, UnknownReference, InvalidInput), which leaves the other orders alone. More orders fail the whole call with BAD_USER_INPUT.`,
  })
  @Allow(Permission.PlanWorkOrders)
  async importWorkOrders(
    @Arg('inputs', () => [ImportWorkOrderInput]) inputs: ImportWorkOrderInput[],
    @Ctx() ctx: HubContext,
  ) {
    const answers = await ctx.services.workOrder.importOrders(ctx.principal, inputs);
    if (isFailure(answers)) return answers;
    return answers.map((a) => (isFailure(a) ? toGraphQLResult(a) : a));
  }
}

@Resolver(() => MaterialReservation)
export class MaterialReservationResolver {
  @FieldResolver(() => MaterialLot)
  lot(@Root() reservation: MaterialReservation, @Ctx() ctx: HubContext) {
    return ctx.loaders.materialLotAny.load(reservation.lot.id);
  }
}
