import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Identified } from '../common/identified.js';
import { Equipment } from '../equipment/equipment.entity.js';

/** How urgent an alert is, lowest first (the order matters: subscriptions filter by a minimum). */
export enum AlertSeverity {
  Info = 'Info',
  Low = 'Low',
  Medium = 'Medium',
  High = 'High',
  Critical = 'Critical',
}
registerEnumType(AlertSeverity, { name: 'AlertSeverity' });
export const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = {
  Info: 0,
  Low: 1,
  Medium: 2,
  High: 3,
  Critical: 4,
};

export enum AlertState {
  Active = 'Active',
  Acknowledged = 'Acknowledged',
  Cleared = 'Cleared',
}
registerEnumType(AlertState, { name: 'AlertState' });

/**
 * A condition someone must look at, on a piece of equipment. One alert per de-duplication key and
 * equipment path while it is not cleared: a flapping condition raises it again (counted), not a thousand times.
 * Unacknowledged, it escalates one level per `escalateAfterSeconds`.
 */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['path'] })
@Index({ properties: ['state', 'nextEscalationAt'] })
export class Alert extends Identified<'state' | 'occurrences' | 'escalationLevel'> {
  @ManyToOne(() => Equipment, { deleteRule: 'restrict' }) equipment!: Equipment;
  @Field({ description: 'Path of the equipment the alert is about.' })
  @Property({ type: 'text', collation: 'C' })
  path!: string;
  @Field({ description: 'Same key at the same equipment, same alert while it is not cleared, e.g. `down-too-long`.' })
  @Property()
  deduplicationKey!: string;
  @Field(() => AlertSeverity) @Enum({ items: () => AlertSeverity }) severity!: AlertSeverity;
  @Field() @Property() title!: string;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) description?: string | null;
  @Field(() => AlertState) @Enum({ items: () => AlertState }) state: AlertState = AlertState.Active;
  @Field({ description: 'Who raised it: a flow, a connector, a person.' }) @Property() raisedBy!: string;
  @Field() @Property({ type: 'timestamptz' }) raisedAt!: Date;
  @Field() @Property({ type: 'timestamptz' }) lastRaisedAt!: Date;
  @Field(() => Int, { description: 'How often the condition was raised while the alert was open.' })
  @Property()
  occurrences: number = 1;
  @Field(() => String, { nullable: true }) @Property({ nullable: true }) acknowledgedBy?: string | null;
  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  acknowledgedAt?: Date | null;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) acknowledgeComment?:
    | string
    | null;
  @Field(() => String, { nullable: true }) @Property({ nullable: true }) clearedBy?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) clearedAt?: Date | null;
  @Field(() => Int) @Property() escalationLevel: number = 0;
  @Field(() => Int) @Property() escalateAfterSeconds!: number;
  @Field(() => Date, { nullable: true, description: 'When it escalates next if nobody acknowledges it.' })
  @Property({ type: 'timestamptz', nullable: true })
  nextEscalationAt?: Date | null;
}

@InputType()
export class RaiseAlertInput {
  @Field({ description: 'Path of the equipment.' }) path!: string;
  @Field() deduplicationKey!: string;
  @Field(() => AlertSeverity) severity!: AlertSeverity;
  @Field() title!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => Int, {
    nullable: true,
    description:
      'Escalate one level per this many seconds unacknowledged (default from PLANTGRAPH_ALERT_ESCALATE_AFTER_SECONDS).',
  })
  escalateAfterSeconds?: number | null;
}

@InputType()
export class AlertFilter {
  @Field(() => String, { nullable: true }) pathPrefix?: string | null;
  @Field(() => [AlertState], { nullable: true }) state?: AlertState[];
  @Field(() => AlertSeverity, { nullable: true }) minSeverity?: AlertSeverity | null;
}
