import { EquipmentState, InvalidInput, NotFound, Permission } from '@plantgraph/schema';
import { Arg, Ctx, Extensions, Field, Float, InputType, Int, Mutation, ObjectType, Query, Resolver, Root, Subscription, createUnionType, registerEnumType } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import type { SignalKind as SubjectSignalKind } from '../../subjects.js';
import type { HubEventValue } from './signals.service.js';
import { openStream } from '../../graphql/failures.js';

export enum SignalKind { State = 'state', Count = 'count', Cycle = 'cycle', Value = 'value' }
registerEnumType(SignalKind, { name: 'SignalKind', description: 'What a machine signal reports.' });

@InputType({ description: 'One machine signal; which fields apply depends on `kind` (see docs: state, count, cycle, value).' })
class EquipmentSignalInput {
  @Field(() => SignalKind) kind!: SignalKind;
  @Field({ description: 'The equipment path, e.g. acme/berlin/assembly/line-1/press-1.' }) path!: string;
  @Field({ description: 'A stable id of the sender.' }) source!: string;
  @Field(() => Float, { description: 'Strictly increasing per source (a whole number).' }) sequence!: number;
  @Field(() => Date, { nullable: true, description: 'When it happened; defaults to arrival.' }) at?: Date | null;
  @Field(() => EquipmentState, { nullable: true }) state?: EquipmentState | null;
  @Field(() => String, { nullable: true, description: 'Reason code; required for Down.' }) reason?: string | null;
  @Field(() => Int, { nullable: true }) good?: number | null;
  @Field(() => Int, { nullable: true }) scrap?: number | null;
  @Field(() => Int, { nullable: true }) rework?: number | null;
  @Field(() => Float, { nullable: true }) cycleTimeMs?: number | null;
  @Field(() => String, { nullable: true, description: 'Process value name, e.g. temperature.' }) name?: string | null;
  @Field(() => Float, { nullable: true }) value?: number | null;
  @Field(() => String, { nullable: true }) unit?: string | null;
}

@ObjectType()
@Extensions({ allow: [Permission.SetEquipmentState] })
class SignalsPublished {
  @Field(() => Int, { description: 'Signals durably accepted: with NATS stored in its signal stream, embedded already stored by the ingest.' })
  accepted!: number;
}

@ObjectType()
@Extensions({ allow: [Permission.ManageFlows] })
class FlowEventPublished {
  @Field() published!: boolean;
}

@ObjectType({ description: 'Any hub event, for flows and integrations that want more than one kind.' })
@Extensions({ allow: [Permission.Read] })
class HubEvent {
  @Field({ description: 'The NATS subject it was published on.' }) subject!: string;
  @Field({ description: 'The event type, e.g. EquipmentStateChanged, AlertRaised, ProductionCounted.' }) type!: string;
  @Field(() => String, { nullable: true, description: 'The equipment path the event is about.' }) path!: string | null;
  @Field({ description: 'The whole event as JSON text.' }) data!: string;
}

@ObjectType({ description: "This replica's signal ingest since it started." })
@Extensions({ allow: [Permission.Read] })
class IngestStatistics {
  @Field() startedAt!: Date;
  @Field(() => Float) received!: number;
  @Field(() => Float) stored!: number;
  @Field(() => Float, { description: 'Re-deliveries and re-sends recognised by (source, sequence).' }) duplicates!: number;
  @Field(() => Float, { description: 'Dead-lettered: malformed subject, JSON or field.' }) rejectedInvalid!: number;
  @Field(() => Float, { description: 'Dead-lettered: no equipment has the path.' }) rejectedUnknownEquipment!: number;
  @Field(() => Float) batches!: number;
  @Field(() => Float) failedBatches!: number;
  @Field(() => Date, { nullable: true }) lastBatchAt!: Date | null;
  @Field(() => String, { nullable: true }) lastError!: string | null;
}

const PublishSignalsResult = createUnionType({ name: 'PublishSignalsResult', types: () => [SignalsPublished, InvalidInput, NotFound] as const });
const PublishFlowEventResult = createUnionType({ name: 'PublishFlowEventResult', types: () => [FlowEventPublished, InvalidInput, NotFound] as const });

@Resolver()
export class SignalResolver {
  @Mutation(() => PublishSignalsResult, { description: 'Publishes machine signals on the durable ingest path, as equipment on NATS would (at most 1000 per call).' })
  @Allow(Permission.SetEquipmentState)
  async publishSignals(@Arg('signals', () => [EquipmentSignalInput]) signals: EquipmentSignalInput[], @Ctx() ctx: HubContext) {
    const result = await ctx.services.signals.publish(ctx.em, ctx.principal, signals.map((s) => ({ ...s, kind: s.kind as SubjectSignalKind })));
    return 'accepted' in result ? Object.assign(new SignalsPublished(), result) : result;
  }

  @Mutation(() => PublishFlowEventResult, { description: 'Publishes an event of a flow about an equipment (subject `<ns>.event.flow.<type>.<path>`).' })
  @Allow(Permission.ManageFlows)
  async publishFlowEvent(@Arg('type') type: string, @Arg('path') path: string, @Arg('data', { description: 'JSON text.' }) data: string, @Ctx() ctx: HubContext) {
    const result = await ctx.services.signals.publishFlowEvent(ctx.em, ctx.principal, type, path, data);
    return 'published' in result ? Object.assign(new FlowEventPublished(), result) : result;
  }

  @Query(() => IngestStatistics, { description: "This replica's signal ingest counters (each replica counts the signals it took)." })
  @Allow(Permission.Read)
  signalIngest(@Ctx() ctx: HubContext) {
    return ctx.services.signals.statistics;
  }

  @Subscription(() => HubEvent, {
    description: 'Every event at and below `scope` (`*` for everything you may read), optionally only of the given `types`.',
    subscribe: ({ args, context }) => {
      const ctx = context as HubContext;
      return openStream(() => ctx.services.signals.subscribeEvents(ctx.principal, args.scope as string, (args.types as string[] | null) ?? null, ctx.eventQueue));
    },
  })
  @Allow(Permission.Read)
  hubEvents(@Root() event: HubEventValue, @Arg('scope') _scope: string, @Arg('types', () => [String], { nullable: true }) _types: string[] | null): HubEvent {
    return { ...event, data: JSON.stringify(event.data) };
  }
}
