import { Connection, CreateWorkOrderInput, CreateWorkOrderResult, Equipment, ProductDefinitionVersion, WorkOrder, WorkOrderFilter, Permission } from '@plantgraph/schema';
import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { PageArgs } from '../../graphql/pagination.js';

const WorkOrderConnection = Connection(WorkOrder);

@Resolver(() => WorkOrder)
export class WorkOrderResolver {
  @Query(() => WorkOrder, { nullable: true })
  @Allow(Permission.Read)
  workOrder(@Arg('number') number: string, @Ctx() ctx: HubContext) {
    return ctx.services.workOrder.get(ctx.em, ctx.principal, number);
  }

  @Query(() => WorkOrderConnection, { description: 'Work orders ordered by number.' })
  @Allow(Permission.Read)
  workOrders(@Arg('filter', () => WorkOrderFilter, { nullable: true }) filter: WorkOrderFilter | null, @Args() page: PageArgs, @Ctx() ctx: HubContext) {
    return ctx.services.workOrder.list(ctx.em, ctx.principal, filter, page);
  }

  @FieldResolver(() => ProductDefinitionVersion)
  productDefinitionVersion(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.productDefinitionVersion.load(order.productDefinitionVersion.id);
  }

  @FieldResolver(() => Equipment)
  equipment(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.equipment.load(order.equipment.id);
  }

  @Mutation(() => CreateWorkOrderResult, { description: 'Creates a work order in Draft.' })
  @Allow(Permission.PlanWorkOrders)
  createWorkOrder(@Arg('input') input: CreateWorkOrderInput, @Ctx() ctx: HubContext) {
    return ctx.services.workOrder.create(ctx.principal, input);
  }
}
