import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, ObjectType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Identified } from '../common/identified.js';
import { Equipment } from './equipment.entity.js';
import { EquipmentCondition, EquipmentConditionKind } from './equipment-condition.js';

/**
 * A maintenance or calibration record holding an equipment in a condition until an authorised
 * person or connector clears it. Machine signals never touch it. A connector (a CMMS) names its own
 * work order in `externalReference`, so sending the same record again changes nothing.
 */
@ObjectType({ description: 'A maintenance or calibration record: which condition it holds, who set it, why and when.' })
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['equipment', 'clearedAt'] })
export class EquipmentConditionRecord extends Identified {
  @ManyToOne(() => Equipment, { deleteRule: 'cascade' }) equipment!: Equipment;
  @Field(() => EquipmentConditionKind) @Enum({ items: () => EquipmentConditionKind }) kind!: EquipmentConditionKind;
  @Field(() => EquipmentCondition, {
    description: 'The condition as recorded (a CalibrationDue past its `dueAt` holds CalibrationOverdue).',
  })
  @Enum({ items: () => EquipmentCondition })
  recordedCondition!: EquipmentCondition;
  @Field({ description: 'Why: the maintenance or calibration it is about.' })
  @Property({ type: 'text' })
  reason!: string;
  @Field(() => Date, {
    nullable: true,
    description: 'When the calibration (or maintenance) falls due; a calibration is overdue from then.',
  })
  @Property({ type: 'timestamptz', nullable: true })
  dueAt?: Date | null;
  @Field(() => String, {
    nullable: true,
    description: 'Key of the record in the system it came from (e.g. a CMMS work order `maintainx:4711`); unique.',
  })
  @Property({ type: 'text', nullable: true, unique: true })
  externalReference?: string | null;
  @Field({ description: 'Who recorded it: a person, or `connector:<name>`.' }) @Property() recordedBy!: string;
  @Field() @Property({ type: 'timestamptz' }) recordedAt!: Date;
  @Field(() => String, { nullable: true, description: 'Who cleared it; null while it holds.' })
  @Property({ nullable: true })
  clearedBy?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) clearedAt?: Date | null;
  @Field(() => String, { nullable: true, description: 'Why it was cleared (the work done, the certificate).' })
  @Property({ type: 'text', nullable: true })
  clearance?: string | null;
}
