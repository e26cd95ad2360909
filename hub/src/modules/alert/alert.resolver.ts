import { Alert, AlertFilter, AlertSeverity, AlertState, Connection, InvalidInput, NotFound, Permission, RaiseAlertInput } from '@plantgraph/schema';
import { Arg, Args, Ctx, Extensions, Field, ID, Int, Mutation, ObjectType, Query, Resolver, Root, Subscription, createUnionType } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { PageArgs } from '../../graphql/pagination.js';
import { openStream } from '../../graphql/failures.js';

const AlertConnection = Connection(Alert);
const AlertResult = createUnionType({ name: 'AlertResult', types: () => [Alert, NotFound, InvalidInput] as const });

@ObjectType({ description: 'An alert raised or escalated, as delivered to subscribers.' })
@Extensions({ allow: [Permission.Read] })
class AlertEvent {
  @Field({ description: 'AlertRaised or AlertEscalated.' }) type!: string;
  @Field(() => ID) id!: string;
  @Field() path!: string;
  @Field(() => AlertSeverity) severity!: AlertSeverity;
  @Field() title!: string;
  @Field(() => AlertState) state!: AlertState;
  @Field(() => Int) escalationLevel!: number;
  @Field(() => Int) occurrences!: number;
  @Field() at!: Date;
  @Field() actor!: string;
}

@Resolver(() => Alert)
export class AlertResolver {
  @Query(() => Alert, { nullable: true })
  @Allow(Permission.Read)
  alert(@Arg('id', () => ID) id: string, @Ctx() ctx: HubContext) {
    return ctx.services.alerts.get(ctx.em, ctx.principal, id);
  }

  @Query(() => AlertConnection, { description: 'Alerts, newest first.' })
  @Allow(Permission.Read)
  alerts(@Arg('filter', () => AlertFilter, { nullable: true }) filter: AlertFilter | null, @Args() page: PageArgs, @Ctx() ctx: HubContext) {
    return ctx.services.alerts.list(ctx.em, ctx.principal, filter, page);
  }

  @Mutation(() => AlertResult, { description: 'Raises an alert; with the key of an open alert it counts another occurrence instead.' })
  @Allow(Permission.RaiseAlerts)
  raiseAlert(@Arg('input') input: RaiseAlertInput, @Ctx() ctx: HubContext) {
    return ctx.services.alerts.raise(ctx.principal, input);
  }

  @Mutation(() => AlertResult, { description: 'Acknowledges an Active alert with a comment; it stops escalating.' })
  @Allow(Permission.AcknowledgeAlerts)
  acknowledgeAlert(@Arg('id', () => ID) id: string, @Arg('comment') comment: string, @Ctx() ctx: HubContext) {
    return ctx.services.alerts.acknowledge(ctx.principal, id, comment);
  }

  @Mutation(() => AlertResult, { description: 'Clears an alert: the condition is gone. The next raise with its key opens a new alert.' })
  @Allow(Permission.RaiseAlerts)
  clearAlert(@Arg('id', () => ID) id: string, @Arg('comment', () => String, { nullable: true }) comment: string | null, @Ctx() ctx: HubContext) {
    return ctx.services.alerts.clear(ctx.principal, id, comment);
  }

  @Subscription(() => AlertEvent, {
    description: 'Alerts raised or escalated at `scope` and below, of at least `minSeverity`: for supervisors, andon boards and paging tools.',
    subscribe: ({ args, context }) => {
      const ctx = context as HubContext;
      return openStream(() => ctx.services.alerts.subscribeRaised(ctx.principal, args.scope as string, (args.minSeverity as AlertSeverity) ?? AlertSeverity.Info, ctx.eventQueue));
    },
  })
  @Allow(Permission.Read)
  alertRaised(@Root() event: AlertEvent, @Arg('scope') _scope: string, @Arg('minSeverity', () => AlertSeverity, { defaultValue: AlertSeverity.Info }) _min: AlertSeverity) {
    return event;
  }
}
