import { Permission, SetShiftCalendarInput, ShiftCalendar } from '@plantgraph/schema';
import { Arg, Ctx, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { OeeGrouping } from './oee.service.js';
import { DowntimeReason, EquipmentUsage, OeeRow, OeeUpdate, ShiftCalendarResult } from './oee.types.js';
import { openStream } from '../../graphql/failures.js';

@Resolver()
export class OeeResolver {
  @Subscription(() => OeeUpdate, {
    description: 'Current-shift OEE of the machines at `scope` and below, for live boards.',
    subscribe: ({ args, context }) => {
      const ctx = context as HubContext;
      return openStream(() =>
        ctx.services.oee.subscribeUpdates(ctx.principal, args.scope as string, { queue: ctx.eventQueue }),
      );
    },
  })
  @Allow(Permission.Read)
  oeeUpdated(@Root() update: OeeUpdate, @Arg('scope') _scope: string) {
    return update;
  }

  @Query(() => [OeeRow], { description: 'OEE of the machines at `scope` and below in [from, to), grouped.' })
  @Allow(Permission.Read)
  oee(
    @Arg('scope') scope: string,
    @Arg('from') from: Date,
    @Arg('to') to: Date,
    @Arg('groupBy', () => OeeGrouping, { defaultValue: OeeGrouping.Equipment }) groupBy: OeeGrouping,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.oee.oee(ctx.em, ctx.principal, scope, from, to, groupBy);
  }

  @Query(() => [EquipmentUsage], {
    description: 'Running time and parts of the machines at `scope` and below in [from, to), breaks included.',
  })
  @Allow(Permission.Read)
  equipmentUsage(@Arg('scope') scope: string, @Arg('from') from: Date, @Arg('to') to: Date, @Ctx() ctx: HubContext) {
    return ctx.services.oee.usage(ctx.em, ctx.principal, scope, from, to);
  }

  @Query(() => [DowntimeReason], {
    description: 'Downtime by reason, longest first (a Pareto chart), at `scope` and below.',
  })
  @Allow(Permission.Read)
  downtimePareto(@Arg('scope') scope: string, @Arg('from') from: Date, @Arg('to') to: Date, @Ctx() ctx: HubContext) {
    return ctx.services.oee.downtimePareto(ctx.em, ctx.principal, scope, from, to);
  }

  @Query(() => [ShiftCalendar], {
    description:
      'The shift calendars that govern what you may read: those at or below your scopes, and those above them.',
  })
  @Allow(Permission.Read)
  shiftCalendars(@Ctx() ctx: HubContext) {
    return ctx.services.oee.shiftCalendars(ctx.em, ctx.principal);
  }

  @Mutation(() => ShiftCalendarResult, { description: 'Sets the shifts and planned breaks of a site, area or line.' })
  @Allow(Permission.ManageMasterData)
  setShiftCalendar(@Arg('input') input: SetShiftCalendarInput, @Ctx() ctx: HubContext) {
    return ctx.services.oee.setCalendar(ctx.principal, input);
  }
}
