import {
  AffectedOrder,
  AffectedOrderResult,
  ApproveRedlineInput,
  DecideEngineeringChangeInput,
  Deviation,
  ElectronicSignature,
  Permission,
  ProductDefinitionVersion,
  ProposeRedlineInput,
  Redline,
  RedlineResult,
  WorkOrder,
} from '@plantgraph/schema';
import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';

@Resolver(() => Redline)
export class RedlineResolver {
  @Query(() => [Redline], { description: 'Redlines of a product definition (at most 500), oldest first.' })
  @Allow(Permission.Read)
  redlines(@Arg('productDefinition') productDefinition: string, @Ctx() ctx: HubContext) {
    return ctx.services.redlines.list(ctx.em, productDefinition);
  }

  @FieldResolver(() => ProductDefinitionVersion, { description: 'The version it marks up.' })
  productDefinitionVersion(@Root() r: Redline, @Ctx() ctx: HubContext) {
    return ctx.loaders.productDefinitionVersion.load(r.productDefinitionVersion.id);
  }

  @FieldResolver(() => ProductDefinitionVersion, {
    nullable: true,
    description: 'The Active version its approval made; new orders are made by it.',
  })
  resultingVersion(@Root() r: Redline, @Ctx() ctx: HubContext) {
    return r.resultingVersion ? ctx.loaders.productDefinitionVersion.load(r.resultingVersion.id) : null;
  }

  @FieldResolver(() => [AffectedOrder], {
    description: 'Orders in flight when it was approved (those you may read), and what was decided for each.',
  })
  affectedOrders(@Root() r: Redline, @Ctx() ctx: HubContext) {
    return ctx.services.redlines.affectedOrders(ctx.em, ctx.principal, r.id);
  }

  @FieldResolver(() => [ElectronicSignature], { description: 'The Review and the Approval.' })
  signatures(@Root() r: Redline, @Ctx() ctx: HubContext) {
    return ctx.loaders.signaturesOf.load(`Redline:${r.id}`);
  }

  @Mutation(() => RedlineResult, {
    description: 'Marks up the Active version of a product definition: the segments as they are to be, what and why.',
  })
  @Allow(Permission.ManageMasterData)
  proposeRedline(@Arg('input') input: ProposeRedlineInput, @Ctx() ctx: HubContext) {
    return ctx.services.redlines.propose(ctx.principal, input);
  }

  @Mutation(() => RedlineResult, {
    description:
      "Approves a redline with one Review and one Approval by two people other than its author: a new Active version carries it; Drafts are made by it; orders in flight keep their snapshot, are listed in `affectedOrders` and told on `workOrderChanged` (WorkOrderAffectedByEngineeringChange), and their next step waits for a supervisor's decision.",
  })
  @Allow(Permission.QualityApproval)
  approveRedline(@Arg('input') input: ApproveRedlineInput, @Ctx() ctx: HubContext) {
    return ctx.services.redlines.approve(ctx.principal, input);
  }

  @Mutation(() => AffectedOrderResult, {
    description:
      'A supervisor decides for one order an approved redline affects: ContinueOnSnapshot, or PauseWithDeviation (an InProgress order is paused and an EngineeringChange deviation opened). The snapshot never changes.',
  })
  @Allow(Permission.ReleaseToProduction)
  decideEngineeringChange(@Arg('input') input: DecideEngineeringChangeInput, @Ctx() ctx: HubContext) {
    return ctx.services.redlines.decide(ctx.principal, input);
  }
}

@Resolver(() => AffectedOrder)
export class AffectedOrderResolver {
  @FieldResolver(() => Redline, { nullable: true })
  redline(@Root() a: AffectedOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.redline.load(a.redline.id);
  }

  @FieldResolver(() => WorkOrder, { nullable: true })
  workOrder(@Root() a: AffectedOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.workOrder.load(a.workOrder.id);
  }

  @FieldResolver(() => Deviation, { nullable: true, description: 'The deviation a pause opened.' })
  async deviation(@Root() a: AffectedOrder, @Ctx() ctx: HubContext) {
    if (!a.deviation) return null;
    return (await ctx.loaders.deviationsOfOrder.load(a.workOrder.id)).find((d) => d.id === a.deviation!.id) ?? null;
  }
}

@Resolver(() => WorkOrder)
export class EngineeringChangeOrderResolver {
  @FieldResolver(() => [AffectedOrder], {
    description:
      'Approved engineering changes (redlines) that reached this order in flight, with the step it was on and the decision; Pending ones hold its next step.',
  })
  engineeringChanges(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.affectedOrdersOf.load(order.id);
  }
}
