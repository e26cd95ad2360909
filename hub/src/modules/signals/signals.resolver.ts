import { Permission } from '@plantgraph/schema';
import { Arg, Ctx, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { AFTER, openStream, streamOf } from '../../graphql/failures.js';
import type { HubEventValue } from './signals.service.js';
import {
  EquipmentSignalInput,
  FlowEventPublished,
  HubEvent,
  HubEventLogPage,
  IngestStatistics,
  PublishFlowEventResult,
  PublishSignalsResult,
  SignalsPublished,
} from './signals.types.js';

@Resolver()
export class SignalResolver {
  @Mutation(() => PublishSignalsResult, {
    description:
      'Publishes machine signals on the durable ingest path, as equipment on NATS would (at most 1000 per call).',
  })
  @Allow(Permission.SetEquipmentState)
  async publishSignals(
    @Arg('signals', () => [EquipmentSignalInput]) signals: EquipmentSignalInput[],
    @Ctx() ctx: HubContext,
  ) {
    const result = await ctx.services.signals.publish(ctx.em, ctx.principal, signals);
    return 'accepted' in result ? Object.assign(new SignalsPublished(), result) : result;
  }

  @Mutation(() => PublishFlowEventResult, {
    description: 'Publishes an event of a flow about an equipment (subject `<ns>.event.flow.<type>.<path>`).',
  })
  @Allow(Permission.ManageFlows)
  async publishFlowEvent(
    @Arg('type') type: string,
    @Arg('path') path: string,
    @Arg('data', { description: 'JSON text.' }) data: string,
    @Ctx() ctx: HubContext,
  ) {
    const result = await ctx.services.signals.publishFlowEvent(ctx.em, ctx.principal, type, path, data);
    return 'published' in result ? Object.assign(new FlowEventPublished(), result) : result;
  }

  @Query(() => IngestStatistics, {
    description: "This replica's signal ingest counters (each replica counts the signals it took).",
  })
  @Allow(Permission.Read)
  signalIngest(@Ctx() ctx: HubContext) {
    return ctx.services.signals.statistics;
  }

  @Query(() => HubEventLogPage, {
    description:
      'The events `hubEvents` would replay after `after`, by plain request, for clients that poll (`first` 1 to 500). ' +
      'Without `after`: no events and the current position to start from.',
  })
  @Allow(Permission.Read)
  async hubEventLog(
    @Arg('scope') scope: string,
    @Arg('types', () => [String], { nullable: true }) types: string[] | null,
    @Arg('after', () => String, { nullable: true, description: 'The `endCursor` of the previous call.' })
    after: string | null,
    @Arg('first', () => Int, { defaultValue: 100 }) first: number,
    @Ctx() ctx: HubContext,
  ): Promise<HubEventLogPage> {
    const page = await ctx.services.signals.eventLog(ctx.em, ctx.principal, scope, types ?? null, after ?? null, first);
    return { ...page, events: page.events.map((e) => ({ ...e, data: JSON.stringify(e.data) })) };
  }

  @Subscription(() => HubEvent, {
    description:
      'Every event at and below `scope` (`*` for everything you may read), optionally only of the given `types`.',
    subscribe: ({ args, context }) => {
      const ctx = context as HubContext;
      return openStream(() =>
        ctx.services.signals.subscribeEvents(
          ctx.principal,
          args.scope as string,
          (args.types as string[] | null) ?? null,
          streamOf(ctx, args),
        ),
      );
    },
  })
  @Allow(Permission.Read)
  hubEvents(
    @Root() event: HubEventValue,
    @Arg('scope') _scope: string,
    @Arg('types', () => [String], { nullable: true }) _types: string[] | null,
    @Arg('after', () => String, { nullable: true, description: AFTER }) _after: string | null,
  ): HubEvent {
    return { ...event, data: JSON.stringify(event.data) };
  }
}
