import {
  ChangeoverRule,
  ChangeoverRuleResult,
  EnterPlannedDowntimeInput,
  Permission,
  PlannedDowntime,
  PlannedDowntimeResult,
  ProductSchedulingProfile,
  ProductSchedulingProfileResult,
  RemoveCleaningInput,
  ScheduleCleaningInput,
  ScheduleEntry,
  ScheduleManyResult,
  ScheduleResult,
  ScheduleSlot,
  ScheduledOrders,
  ScheduleWorkOrderInput,
  SchedulingSetupResult,
  SequenceLineInput,
  SequenceResult,
  SetChangeoverRuleInput,
  SetProductSchedulingProfileInput,
  UnscheduleWorkOrderInput,
} from '@plantgraph/schema';
import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { AFTER, openStream, streamOf } from '../../graphql/failures.js';
import { isFailure } from '../../core/failures.js';
import { SCHEDULE_BATCH_LIMIT } from './scheduling.service.js';
import { ScheduleEvent } from './scheduling.types.js';

@Resolver()
export class SchedulingResolver {
  @Query(() => [ScheduleSlot], {
    description:
      'The production schedule of `scope` (a line, a unit, an area) in [from, to] (at most 92 days), in time order: each entry with its changeover and every constraint it breaks now.',
  })
  @Allow(Permission.Read)
  schedule(@Arg('scope') scope: string, @Arg('from') from: Date, @Arg('to') to: Date, @Ctx() ctx: HubContext) {
    return ctx.services.schedulingPlan.schedule(ctx.em, ctx.principal, scope, from, to);
  }

  @Query(() => [ScheduleSlot], {
    description: 'What the work center runs next, in order: entries not yet done, with state and readiness.',
  })
  @Allow(Permission.Read)
  dispatchList(
    @Arg('workCenter') workCenter: string,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.schedulingPlan.dispatchList(ctx.em, ctx.principal, workCenter, first);
  }

  @Query(() => [ChangeoverRule], { description: 'The changeover matrix: rules whose scope you may read.' })
  @Allow(Permission.Read)
  changeoverRules(@Ctx() ctx: HubContext) {
    return ctx.services.schedulingPlan.rules(ctx.em, ctx.principal);
  }

  @Query(() => [ProductSchedulingProfile])
  @Allow(Permission.Read)
  productSchedulingProfiles(@Ctx() ctx: HubContext) {
    return ctx.services.schedulingPlan.profiles(ctx.em, ctx.principal);
  }

  @Query(() => [PlannedDowntime])
  @Allow(Permission.Read)
  plannedDowntime(@Arg('scope') scope: string, @Arg('from') from: Date, @Arg('to') to: Date, @Ctx() ctx: HubContext) {
    return ctx.services.schedulingPlan.downtime(ctx.em, ctx.principal, scope, from, to);
  }

  @Mutation(() => ScheduleResult, {
    description:
      "Places a Draft or Released order on its line (or a unit of it) from `start`; the end follows from the product's duration through the shift calendar. Every broken constraint is reported together (ScheduleBlocked). Scheduling an order again moves it.",
  })
  @Allow(Permission.PlanWorkOrders)
  scheduleWorkOrder(@Arg('input') input: ScheduleWorkOrderInput, @Ctx() ctx: HubContext) {
    return ctx.services.scheduling.schedule(ctx.principal, input);
  }

  @Mutation(() => ScheduleManyResult, {
    description: `Places up to ${SCHEDULE_BATCH_LIMIT} orders in one transaction, checked together: all placed, or ScheduleBlocked with every problem.`,
  })
  @Allow(Permission.PlanWorkOrders)
  async scheduleWorkOrders(
    @Arg('inputs', () => [ScheduleWorkOrderInput]) inputs: ScheduleWorkOrderInput[],
    @Ctx() ctx: HubContext,
  ) {
    const entries = await ctx.services.scheduling.scheduleMany(ctx.principal, inputs);
    return isFailure(entries) ? entries : Object.assign(new ScheduledOrders(), { entries });
  }

  @Mutation(() => ScheduleResult, { description: 'Moves a scheduled order (NotFound when it is not scheduled).' })
  @Allow(Permission.PlanWorkOrders)
  moveScheduledOrder(@Arg('input') input: ScheduleWorkOrderInput, @Ctx() ctx: HubContext) {
    return ctx.services.scheduling.schedule(ctx.principal, input, true);
  }

  @Mutation(() => ScheduleResult, {
    description: 'Takes a Draft order out of the schedule; its planned end goes back to its due date.',
  })
  @Allow(Permission.PlanWorkOrders)
  unscheduleWorkOrder(@Arg('input') input: UnscheduleWorkOrderInput, @Ctx() ctx: HubContext) {
    return ctx.services.scheduling.unschedule(ctx.principal, input);
  }

  @Mutation(() => SchedulingSetupResult, {
    description: 'Schedules a cleaning or a validated sanitation on a unit, e.g. what a changeover rule asks for.',
  })
  @Allow(Permission.PlanWorkOrders)
  scheduleCleaning(@Arg('input') input: ScheduleCleaningInput, @Ctx() ctx: HubContext) {
    return ctx.services.scheduling.scheduleCleaning(ctx.principal, input);
  }

  @Mutation(() => ScheduleResult, { description: 'Takes a cleaning or sanitation out of the schedule.' })
  @Allow(Permission.PlanWorkOrders)
  removeCleaning(@Arg('input') input: RemoveCleaningInput, @Ctx() ctx: HubContext) {
    return ctx.services.scheduling.removeCleaning(ctx.principal, input);
  }

  @Mutation(() => SequenceResult, {
    description:
      "Sequences a line's backlog to minimise changeover plus lateness (ADR: greedy by due date and changeover, then 2-opt and moves); compares it with the order of arrival; schedules it when `apply`.",
  })
  @Allow(Permission.Read)
  sequenceLine(@Arg('input') input: SequenceLineInput, @Ctx() ctx: HubContext) {
    return ctx.services.sequencing.sequence(ctx.principal, input);
  }

  @Mutation(() => ChangeoverRuleResult, {
    description: 'Creates or replaces (by name) a row of the changeover matrix.',
  })
  @Allow(Permission.ManageMasterData)
  setChangeoverRule(@Arg('input') input: SetChangeoverRuleInput, @Ctx() ctx: HubContext) {
    return ctx.services.schedulingPlan.setChangeoverRule(ctx.principal, input);
  }

  @Mutation(() => ProductSchedulingProfileResult, {
    description: "Sets a product's family, allergens, set-up and crew.",
  })
  @Allow(Permission.ManageMasterData)
  setProductSchedulingProfile(@Arg('input') input: SetProductSchedulingProfileInput, @Ctx() ctx: HubContext) {
    return ctx.services.schedulingPlan.setProfile(ctx.principal, input);
  }

  @Mutation(() => PlannedDowntimeResult, {
    description: 'Enters planned downtime of a unit; orders cannot be scheduled in it.',
  })
  @Allow(Permission.PlanWorkOrders)
  enterPlannedDowntime(@Arg('input') input: EnterPlannedDowntimeInput, @Ctx() ctx: HubContext) {
    return ctx.services.schedulingPlan.enterDowntime(ctx.principal, input);
  }

  @Subscription(() => ScheduleEvent, {
    description: 'Each entry placed, moved or removed in the schedule at `scope` (a path prefix) and below.',
    subscribe: ({ args, context }) => {
      const ctx = context as HubContext;
      return openStream(() =>
        ctx.services.schedulingPlan.subscribeChanges(ctx.principal, args.scope as string, streamOf(ctx, args)),
      );
    },
  })
  @Allow(Permission.Read)
  scheduleChanged(
    @Root() event: ScheduleEvent,
    @Arg('scope') _scope: string,
    @Arg('after', () => String, { nullable: true, description: AFTER }) _after: string | null,
  ) {
    return event;
  }
}

@Resolver(() => ScheduleEntry)
export class ScheduleEntryResolver {
  @FieldResolver(() => String, { description: 'Path of the unit (or line) the entry holds.' })
  async unitPath(@Root() entry: ScheduleEntry, @Ctx() ctx: HubContext) {
    return entry.unit.path ?? (await ctx.loaders.equipment.load(entry.unit.id))?.path;
  }
}

@Resolver(() => PlannedDowntime)
export class PlannedDowntimeResolver {
  @FieldResolver(() => String)
  async equipmentPath(@Root() downtime: PlannedDowntime, @Ctx() ctx: HubContext) {
    return downtime.equipment.path ?? (await ctx.loaders.equipment.load(downtime.equipment.id))?.path;
  }
}
