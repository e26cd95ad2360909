import { BigIntType } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLJSON } from 'graphql-scalars';
import { Extensions, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import type { Grant } from '../auth/api-key.entity.js';
import { Identified } from '../common/identified.js';

export enum ConnectorHealth {
  /** Not checked since it was configured. */
  Unknown = 'Unknown',
  Healthy = 'Healthy',
  Unhealthy = 'Unhealthy',
}
registerEnumType(ConnectorHealth, { name: 'ConnectorHealth' });

/**
 * One configured connector (e.g. the SAP system of a plant): its type, the part of the hierarchy it
 * serves, its settings (secrets write-only, encrypted at rest), the grants it acts with as its own
 * principal `connector:<name>`, its health and cursors.
 */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
export class ConnectorInstance extends Identified<
  'enabled' | 'settingsVersion' | 'health' | 'eventCursor' | 'secretNames' | 'grants'
> {
  @Field({ description: 'Unique name; the principal is `connector:<name>`.' })
  @Property({ unique: true })
  name!: string;
  @Field({ description: 'The connector package, e.g. `sap-s4hana`.' }) @Property() type!: string;
  @Field({ description: 'Equipment path (or `*`) it serves: who may read and manage it.' })
  @Property({ type: 'text', collation: 'C' })
  scope!: string;
  @Field() @Property() enabled: boolean = false;
  @Field(() => GraphQLJSON, { description: 'Settings without the secrets.' })
  @Property({ type: 'json' })
  settings!: Record<string, unknown>;
  /** The secret settings, encrypted (AES-256-GCM); never returned, never audited. */
  @Property({ type: 'text', nullable: true }) secrets?: string | null;
  @Field(() => [String], { description: 'Names of the secret settings that are set (their values are never shown).' })
  @Property({ type: 'json' })
  secretNames: string[] = [];
  @Property({ type: 'json' }) grants: Grant[] = [];
  @Field(() => Int, { description: 'Counts changes of the settings (saving the same ones again is none).' })
  @Property()
  settingsVersion: number = 1;
  @Field(() => String, { nullable: true, description: 'Where the next poll starts (the connector’s own format).' })
  @Property({ type: 'text', nullable: true })
  inboundCursor?: string | null;
  @Field({ description: 'The last hub event the relay turned into deliveries.' })
  @Property({ type: new BigIntType('string') })
  eventCursor: string = '0';
  @Field(() => ConnectorHealth) @Enum({ items: () => ConnectorHealth }) health: ConnectorHealth =
    ConnectorHealth.Unknown;
  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  healthCheckedAt?: Date | null;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) healthMessage?: string | null;
  @Field(() => Int, { nullable: true }) @Property({ nullable: true }) roundTripMs?: number | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) lastSuccessAt?: Date | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) lastErrorAt?: Date | null;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) lastError?: string | null;
}

export enum DeliveryState {
  /** In the ledger, its job queued. */
  Pending = 'Pending',
  /** An attempt started; a crash here makes the next attempt reconcile first. */
  Delivering = 'Delivering',
  Delivered = 'Delivered',
  /** Not the connector's to deliver (e.g. an order that came from elsewhere). */
  Skipped = 'Skipped',
  /** Failed for good; replay re-runs it with the same key. */
  DeadLetter = 'DeadLetter',
}
registerEnumType(DeliveryState, { name: 'DeliveryState' });

/** One hub event to deliver to an external system, once, under an idempotency key. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['instance', 'state'] })
@Index({ properties: ['connector', 'eventKey'] })
export class ConnectorDelivery extends Identified<'state' | 'attempts' | 'replays' | 'reconciled'> {
  @ManyToOne(() => ConnectorInstance, { deleteRule: 'cascade' }) instance!: ConnectorInstance;
  @Field() @Property() connector!: string;
  @Property({ type: 'text', collation: 'C' }) scope!: string;
  @Field({ description: 'Derived from the connector and the event; sent to the external system where it has a field.' })
  @Property({ unique: true })
  idempotencyKey!: string;
  @Field() @Property() eventId!: string;
  @Field() @Property({ type: new BigIntType('string') }) eventSeq!: string;
  @Field({ description: 'The hub event, e.g. `WorkOrderCompleted`.' }) @Property() eventType!: string;
  @Field({ description: 'Business key of the record, e.g. the work order number.' }) @Property() eventKey!: string;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) eventPath?: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      "The id of the record the event is about when the key is another's (e.g. the deviation of an order's DeviationOpened).",
  })
  @Property({ type: 'text', nullable: true })
  eventRecord?: string | null;
  @Field() @Property({ type: 'timestamptz' }) eventAt!: Date;
  @Field(() => DeliveryState) @Enum({ items: () => DeliveryState }) state: DeliveryState = DeliveryState.Pending;
  @Field(() => Int, { description: 'Attempts of the current run (a replay starts again).' })
  @Property()
  attempts: number = 0;
  @Field(() => Int) @Property() replays: number = 0;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) externalReference?:
    | string
    | null;
  @Field({ description: 'The external system already held it (found by the key); nothing was sent.' })
  @Property()
  reconciled: boolean = false;
  @Field(() => String, { nullable: true, description: 'retryable, rate-limited, permanent or ambiguous.' })
  @Property({ type: 'text', nullable: true })
  lastFailureKind?: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      "The last failure, in the external system's words; on a delivered row whose earlier attempt had an " +
      'unknown outcome, what the read-back by key found.',
  })
  @Property({ type: 'text', nullable: true })
  lastError?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) deliveredAt?: Date | null;
}

export enum ImportOutcomeKind {
  Created = 'Created',
  Updated = 'Updated',
  Unchanged = 'Unchanged',
  Rejected = 'Rejected',
  /** The hub record may not change any more (e.g. a released order); nothing was changed. */
  Conflict = 'Conflict',
}
registerEnumType(ImportOutcomeKind, { name: 'ImportOutcomeKind' });

@ObjectType()
@Extensions({ allow: [Permission.Read] })
export class ImportReason {
  @Field() code!: string;
  @Field({ description: 'The external field, e.g. `to_ProductionOrderOperation[0020].WorkCenter`.' }) field!: string;
  @Field(() => String, { nullable: true }) value?: string | null;
  @Field() message!: string;
}

/** The latest outcome of importing one external record (e.g. an SAP production order). */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
@Unique({ properties: ['instance', 'reference'] })
export class ConnectorImport extends Identified<'reasons'> {
  @ManyToOne(() => ConnectorInstance, { deleteRule: 'cascade' }) instance!: ConnectorInstance;
  @Field() @Property() connector!: string;
  @Property({ type: 'text', collation: 'C' }) scope!: string;
  @Field({ description: "The external system's key, e.g. SAP's order number." }) @Property() reference!: string;
  @Field(() => ImportOutcomeKind) @Enum({ items: () => ImportOutcomeKind }) outcome!: ImportOutcomeKind;
  @Field(() => String, { nullable: true, description: 'The hub record, e.g. the work order number.' })
  @Property({ type: 'text', nullable: true })
  hubReference?: string | null;
  @Field(() => [ImportReason]) @Property({ type: 'json' }) reasons: ImportReason[] = [];
}
