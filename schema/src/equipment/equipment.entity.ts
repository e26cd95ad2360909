import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, ObjectType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Identified } from '../common/identified.js';
import { PropertyValue } from '../common/properties.js';
import { EquipmentClass } from './equipment-class.entity.js';
import { IndustryProfile } from './industry-profile.js';
import { EquipmentLevel } from './equipment-level.js';
import { EquipmentCondition } from './equipment-condition.js';
import { EquipmentState } from './equipment-state.js';

/**
 * One node of the role-based equipment hierarchy, from the enterprise down to a control module.
 * `path` is the parent's path plus this equipment's `code` (`acme/berlin/assembly/line-1/press-2`);
 * it is unique and is the key the rest of the system (subjects, scopes, signals) uses.
 */
@ObjectType()
@Entity()
@Index({ properties: ['parent'] })
@Extensions({ allow: [Permission.Read] })
export class Equipment extends Identified<'properties' | 'state' | 'stateSince' | 'condition'> {
  @Field()
  @Property({ unique: true, type: 'text', collation: 'C' })
  path!: string;

  @Field({ description: 'The last path segment; letters, digits, `-` and `_`.' })
  @Property()
  code!: string;

  @Field()
  @Property()
  name!: string;

  @Field(() => EquipmentLevel)
  @Enum({ items: () => EquipmentLevel })
  level!: EquipmentLevel;

  @ManyToOne(() => Equipment, { nullable: true, deleteRule: 'restrict' })
  parent?: Equipment | null;

  @ManyToOne(() => EquipmentClass, { nullable: true, deleteRule: 'restrict' })
  equipmentClass?: EquipmentClass | null;

  @Field(() => [PropertyValue])
  @Property({ type: 'json' })
  properties: PropertyValue[] = [];

  @Field(() => EquipmentState)
  @Enum({ items: () => EquipmentState })
  state: EquipmentState = EquipmentState.Offline;

  @Field(() => String, {
    nullable: true,
    description: 'Why the equipment is in its state (a downtime reason code when Down).',
  })
  @Property({ type: 'text', nullable: true })
  stateReason?: string | null;

  @Field({ description: 'When the equipment entered its current state.' })
  @Property({ type: 'timestamptz' })
  stateSince: Date = new Date();

  @Field(() => Date, {
    nullable: true,
    description: 'Time of the newest state report, repeats included; older reports do not change the state.',
  })
  @Property({ type: 'timestamptz', nullable: true })
  lastReportedAt?: Date | null;

  /*
   * The maintenance and calibration condition, summed up from the open condition records by the
   * one writer (`equipment-condition.ts`); GraphQL shows it as of now (`conditionAt`). Never written
   * by the state writer or the signal path.
   */
  @Enum({ items: () => EquipmentCondition })
  condition: EquipmentCondition = EquipmentCondition.Available;

  @Field(() => String, { nullable: true, description: 'Why the equipment is in its condition (the governing record).' })
  @Property({ type: 'text', nullable: true })
  conditionReason?: string | null;

  @Field(() => String, { nullable: true, description: 'Who recorded the governing maintenance or calibration record.' })
  @Property({ nullable: true })
  conditionSetBy?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  conditionSince?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the governing calibration (or maintenance) falls due.' })
  @Property({ type: 'timestamptz', nullable: true })
  conditionDueAt?: Date | null;

  /** A site's industry profile (display labels only); null elsewhere, and at a site without one. */
  @Enum({ items: () => IndustryProfile, nullable: true })
  industryProfile?: IndustryProfile | null;
}
