import { Alert, AlertFilter, AlertSeverity, Permission, RaiseAlertInput } from '@plantgraph/schema';
import { Arg, Args, Ctx, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { PageArgs } from '../../graphql/pagination.js';
import { AFTER, openStream, streamOf } from '../../graphql/failures.js';
import { AlertConnection, AlertEvent, AlertResult } from './alert.types.js';

@Resolver(() => Alert)
export class AlertResolver {
  @Query(() => Alert, { nullable: true })
  @Allow(Permission.Read)
  alert(@Arg('id', () => ID) id: string, @Ctx() ctx: HubContext) {
    return ctx.services.alerts.get(ctx.em, ctx.principal, id);
  }

  @Query(() => AlertConnection, { description: 'Alerts, newest first.' })
  @Allow(Permission.Read)
  alerts(
    @Arg('filter', () => AlertFilter, { nullable: true }) filter: AlertFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.alerts.list(ctx.em, ctx.principal, filter, page);
  }

  @Mutation(() => AlertResult, {
    description:
      'Raises an alert; with the key of an open alert at the same equipment it counts another occurrence instead. The same key at other equipment is another alert.',
  })
  @Allow(Permission.RaiseAlerts)
  raiseAlert(@Arg('input') input: RaiseAlertInput, @Ctx() ctx: HubContext) {
    return ctx.services.alerts.raise(ctx.principal, input);
  }

  @Mutation(() => AlertResult, { description: 'Acknowledges an Active alert with a comment; it stops escalating.' })
  @Allow(Permission.AcknowledgeAlerts)
  acknowledgeAlert(@Arg('id', () => ID) id: string, @Arg('comment') comment: string, @Ctx() ctx: HubContext) {
    return ctx.services.alerts.acknowledge(ctx.principal, id, comment);
  }

  @Mutation(() => AlertResult, {
    description: 'Clears an alert: the condition is gone. The next raise with its key opens a new alert.',
  })
  @Allow(Permission.RaiseAlerts)
  clearAlert(
    @Arg('id', () => ID) id: string,
    @Arg('comment', () => String, { nullable: true }) comment: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.alerts.clear(ctx.principal, id, comment);
  }

  @Subscription(() => AlertEvent, {
    description:
      'Alerts raised or escalated at `scope` and below, of at least `minSeverity`: for supervisors, andon boards and paging tools.',
    subscribe: ({ args, context }) => {
      const ctx = context as HubContext;
      return openStream(() =>
        ctx.services.alerts.subscribeRaised(
          ctx.principal,
          args.scope as string,
          (args.minSeverity as AlertSeverity) ?? AlertSeverity.Info,
          streamOf(ctx, args),
        ),
      );
    },
  })
  @Allow(Permission.Read)
  alertRaised(
    @Root() event: AlertEvent,
    @Arg('scope') _scope: string,
    @Arg('minSeverity', () => AlertSeverity, { defaultValue: AlertSeverity.Info }) _min: AlertSeverity,
    @Arg('after', () => String, { nullable: true, description: AFTER }) _after: string | null,
  ) {
    return event;
  }
}
