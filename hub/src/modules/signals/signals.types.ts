import { RESUME_CURSOR } from '../shared/resume-cursor.js';
import { EquipmentState, InvalidInput, NotFound, Permission } from '@plantgraph/schema';
import { Extensions, Field, Float, InputType, Int, ObjectType, createUnionType, registerEnumType } from 'type-graphql';
import { SIGNAL_KINDS, signalKindEnumValue, type SignalKind } from '@plantgraph/node-red-contrib-plantgraph';

/** The kinds of the flows' connection contract, as GraphQL names them (`state` → `State`). */
const SignalKindEnum = Object.fromEntries(SIGNAL_KINDS.map((k) => [signalKindEnumValue(k), k])) as Record<
  string,
  SignalKind
>;
registerEnumType(SignalKindEnum, { name: 'SignalKind', description: 'What a machine signal reports.' });

@InputType({
  description: 'One machine signal; which fields apply depends on `kind` (see docs: state, count, cycle, value).',
})
export class EquipmentSignalInput {
  @Field(() => SignalKindEnum) kind!: SignalKind;
  @Field({ description: 'The equipment path, e.g. acme/berlin/assembly/line-1/press-1.' }) path!: string;
  @Field({ description: 'A stable id of the sender.' }) source!: string;
  @Field(() => Float, { description: 'Strictly increasing per source (a whole number).' }) sequence!: number;
  @Field(() => Date, { nullable: true, description: 'When it happened; defaults to when the signal reached the bus.' })
  at?: Date | null;
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
export class SignalsPublished {
  @Field(() => Int, {
    description:
      'Signals durably accepted: with NATS stored in its signal stream, embedded already stored by the ingest.',
  })
  accepted!: number;
}

@ObjectType()
@Extensions({ allow: [Permission.ManageFlows] })
export class FlowEventPublished {
  @Field() published!: boolean;
}

@ObjectType({ description: 'Any hub event, for flows and integrations that want more than one kind.' })
@Extensions({ allow: [Permission.Read] })
export class HubEvent {
  @Field({ description: 'The NATS subject it was published on.' }) subject!: string;
  @Field({ description: 'The event type, e.g. EquipmentStateChanged, AlertRaised, ProductionCounted.' }) type!: string;
  @Field(() => String, { nullable: true, description: 'The equipment path the event is about.' }) path!: string | null;
  @Field({ description: 'The whole event as JSON text.' }) data!: string;
  @Field(() => String, { nullable: true, description: RESUME_CURSOR }) cursor!: string | null;
}

@ObjectType({ description: 'A page of the hub event log: the events after a cursor, oldest first.' })
@Extensions({ allow: [Permission.Read] })
export class HubEventLogPage {
  @Field(() => [HubEvent]) events!: HubEvent[];
  @Field({
    description: 'Pass as `after` next time: the position after every event this call looked at, matching or not.',
  })
  endCursor!: string;
  @Field({ description: 'More events were kept after `endCursor`: ask again at once.' }) hasMore!: boolean;
}

/** What this replica's ingest did since it started (each replica counts its own share). */
@ObjectType({ description: "This replica's signal ingest since it started." })
@Extensions({ allow: [Permission.Read] })
export class IngestStatistics {
  @Field() startedAt!: Date;
  @Field(() => Float, {
    description:
      'Signals this replica is done with (stored, duplicate or dead-lettered), each once: a redelivery is not counted again.',
  })
  received!: number;
  @Field(() => Float) stored!: number;
  @Field(() => Float, { description: 'Re-deliveries and re-sends recognised by (source, sequence).' })
  duplicates!: number;
  @Field(() => Float, { description: 'Dead-lettered: malformed subject, JSON or field.' }) rejectedInvalid!: number;
  @Field(() => Float, { description: 'Dead-lettered: no equipment has the path.' }) rejectedUnknownEquipment!: number;
  @Field(() => Float) batches!: number;
  @Field(() => Float) failedBatches!: number;
  @Field(() => Date, { nullable: true }) lastBatchAt!: Date | null;
  @Field(() => String, { nullable: true }) lastError!: string | null;
}

export const PublishSignalsResult = createUnionType({
  name: 'PublishSignalsResult',
  types: () => [SignalsPublished, InvalidInput, NotFound] as const,
});
export const PublishFlowEventResult = createUnionType({
  name: 'PublishFlowEventResult',
  types: () => [FlowEventPublished, InvalidInput, NotFound] as const,
});
