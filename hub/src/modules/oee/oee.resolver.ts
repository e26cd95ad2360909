import { InvalidInput, NotFound, Permission, SetShiftCalendarInput, ShiftCalendar } from '@plantgraph/schema';
import { Arg, Ctx, Extensions, Field, Float, Int, Mutation, ObjectType, Query, Resolver, Root, Subscription, createUnionType } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { aggregateOee } from './oee-calculation.js';
import { OeeGrouping } from './oee.service.js';
import { openStream } from '../../graphql/failures.js';

const ShiftCalendarResult = createUnionType({ name: 'ShiftCalendarResult', types: () => [ShiftCalendar, NotFound, InvalidInput] as const });

@ObjectType()
@Extensions({ allow: [Permission.Read] })
class DowntimeReason {
  @Field() reason!: string;
  @Field({ description: 'Seconds.' }) seconds!: number;
  @Field(() => Int) occurrences!: number;
}

@ObjectType({ description: 'OEE and its ISO 22400-2 elements for one group; times in seconds (see docs/oee.md).' })
@Extensions({ allow: [Permission.Read] })
class OeeRow {
  @Field({ description: 'The equipment path, line, area, site, shift ("2026-03-02 Early") or day.' }) group!: string;
  @Field(() => Float, { nullable: true }) oee!: number | null;
  @Field(() => Float, { nullable: true }) availability!: number | null;
  @Field(() => Float, { nullable: true, description: 'Effectiveness: ideal cycle time × produced / actual production time.' }) performance!: number | null;
  @Field(() => Float, { nullable: true }) quality!: number | null;
  @Field() plannedOperationTime!: number;
  @Field() plannedDowntime!: number;
  @Field() plannedBusyTime!: number;
  @Field() actualProductionTime!: number;
  @Field() actualUnitDownTime!: number;
  @Field() actualUnitDelayTime!: number;
  @Field() microstopTime!: number;
  @Field() noDataTime!: number;
  @Field(() => Int) producedQuantity!: number;
  @Field(() => Int) goodQuantity!: number;
  @Field(() => Int) scrapQuantity!: number;
  @Field(() => Int) reworkQuantity!: number;
  @Field(() => Int) unplannedStops!: number;
  @Field(() => Float, { nullable: true, description: 'Mean time between failures, seconds.' }) mtbf!: number | null;
  @Field(() => Float, { nullable: true, description: 'Mean time to repair, seconds.' }) mttr!: number | null;
  @Field(() => [DowntimeReason]) topDowntimeReasons!: DowntimeReason[];
}

@ObjectType({ description: "A machine's figures for the current shift, published as it reports." })
@Extensions({ allow: [Permission.Read] })
class OeeUpdate {
  @Field() path!: string;
  @Field() from!: Date;
  @Field() to!: Date;
  @Field(() => String, { nullable: true, description: 'The shift, e.g. "2026-03-02 Early"; null without a calendar (last 8 hours).' }) shift!: string | null;
  @Field(() => Float, { nullable: true }) oee!: number | null;
  @Field(() => Float, { nullable: true }) availability!: number | null;
  @Field(() => Float, { nullable: true }) performance!: number | null;
  @Field(() => Float, { nullable: true }) quality!: number | null;
  @Field(() => Int) goodQuantity!: number;
  @Field(() => Int) producedQuantity!: number;
}

@Resolver()
export class OeeResolver {
  @Subscription(() => OeeUpdate, {
    description: 'Current-shift OEE of the machines at `scope` and below, for live boards.',
    subscribe: ({ args, context }) => {
      const ctx = context as HubContext;
      return openStream(() => ctx.services.oee.subscribeUpdates(ctx.principal, args.scope as string, ctx.eventQueue));
    },
  })
  @Allow(Permission.Read)
  oeeUpdated(@Root() update: OeeUpdate, @Arg('scope') _scope: string) {
    return update;
  }

  @Query(() => [OeeRow], { description: 'OEE of the machines at `scope` and below in [from, to), grouped.' })
  @Allow(Permission.Read)
  oee(
    @Arg('scope') scope: string, @Arg('from') from: Date, @Arg('to') to: Date,
    @Arg('groupBy', () => OeeGrouping, { defaultValue: OeeGrouping.Equipment }) groupBy: OeeGrouping, @Ctx() ctx: HubContext,
  ) {
    return ctx.services.oee.oee(ctx.em, ctx.principal, scope, from, to, groupBy);
  }

  @Query(() => [DowntimeReason], { description: 'Downtime by reason, longest first (a Pareto chart), at `scope` and below.' })
  @Allow(Permission.Read)
  async downtimePareto(@Arg('scope') scope: string, @Arg('from') from: Date, @Arg('to') to: Date, @Ctx() ctx: HubContext) {
    return aggregateOee(await ctx.services.oee.oee(ctx.em, ctx.principal, scope, from, to, OeeGrouping.Equipment)).topDowntimeReasons;
  }

  @Query(() => [ShiftCalendar])
  @Allow(Permission.Read)
  shiftCalendars(@Ctx() ctx: HubContext) {
    return ctx.em.find(ShiftCalendar, {}, { orderBy: { scope: 'asc' } });
  }

  @Mutation(() => ShiftCalendarResult, { description: 'Sets the shifts and planned breaks of a site, area or line.' })
  @Allow(Permission.ManageMasterData)
  setShiftCalendar(@Arg('input') input: SetShiftCalendarInput, @Ctx() ctx: HubContext) {
    return ctx.services.oee.setCalendar(ctx.principal, input);
  }
}
