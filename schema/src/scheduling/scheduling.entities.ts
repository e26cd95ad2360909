import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Identified } from '../common/identified.js';
import { Equipment } from '../equipment/equipment.entity.js';
import { WorkOrder } from '../work-order/work-order.entities.js';

/** What occupies a unit in the schedule: production of an order, or the cleaning between two. */
export enum ScheduleEntryKind {
  Production = 'Production',
  /** A line cleaning (no validated procedure). */
  Cleaning = 'Cleaning',
  /** A validated sanitation (allergen removal); also satisfies a rule asking for a cleaning. */
  Sanitation = 'Sanitation',
}
registerEnumType(ScheduleEntryKind, { name: 'ScheduleEntryKind' });

/** The cleaning a changeover rule asks for between two orders on a unit. */
export enum RequiredCleaning {
  None = 'None',
  Cleaning = 'Cleaning',
  Sanitation = 'Sanitation',
}
registerEnumType(RequiredCleaning, { name: 'RequiredCleaning' });

/**
 * One block of time on a unit (or a whole line) in the production schedule. A production entry
 * belongs to one work order; the order's `plannedStart`/`plannedEnd` follow it, so release's
 * booking check sees the same times.
 */
@ObjectType({ description: 'A block of time on a unit: an order in production, or a cleaning between orders.' })
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['unit', 'start'] })
export class ScheduleEntry extends Identified<'changeoverMinutes'> {
  @Field(() => ScheduleEntryKind) @Enum({ items: () => ScheduleEntryKind }) kind!: ScheduleEntryKind;
  @ManyToOne(() => WorkOrder, { nullable: true, unique: true, deleteRule: 'cascade' }) workOrder?: WorkOrder | null;
  @Field(() => String, { nullable: true, description: 'The order produced; null for a cleaning.' })
  @Property({ type: 'text', nullable: true })
  orderNumber?: string | null;
  @Field(() => String, { nullable: true, description: 'Code of the product definition the order makes.' })
  @Property({ type: 'text', nullable: true })
  product?: string | null;
  @ManyToOne(() => Equipment, { deleteRule: 'cascade' }) unit!: Equipment;
  @Field() @Property({ type: 'timestamptz' }) start!: Date;
  @Field() @Property({ type: 'timestamptz' }) end!: Date;
  @Field(() => Date, {
    nullable: true,
    description:
      'When the order is due (its planned end before it was first scheduled); lateness is measured against it.',
  })
  @Property({ type: 'timestamptz', nullable: true })
  dueAt?: Date | null;
  @Field(() => Int, { description: 'Changeover minutes the rules ask for before this entry, from its predecessor.' })
  @Property()
  changeoverMinutes: number = 0;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) note?: string | null;
}

/**
 * A changeover rule: from a product (`product:<code>`), a family (`family:<name>`), products
 * containing an allergen class (`contains:<class>`), free of one (`free-of:<class>`) or any (`*`),
 * to another such set, on the units at and under `scope`. Every matching rule applies: the longest
 * time, the strongest cleaning.
 */
@ObjectType({ description: 'A row of the changeover matrix: from which products to which, how long, what cleaning.' })
@Extensions({ allow: [Permission.Read] })
@Entity()
export class ChangeoverRule extends Identified {
  @Field({ description: 'Named in refusals, e.g. `allergen-peanut`.' }) @Property({ unique: true }) name!: string;
  @Field({ description: 'Equipment path the rule covers (a site, an area, a line).' })
  @Property({ type: 'text', collation: 'C' })
  scope!: string;
  @Field({ description: '`product:<code>`, `family:<name>`, `contains:<allergen>`, `free-of:<allergen>` or `*`.' })
  @Property()
  fromProducts!: string;
  @Field({ description: 'Same forms as `fromProducts`.' }) @Property() toProducts!: string;
  @Field(() => Int) @Property() minutes!: number;
  @Field(() => RequiredCleaning)
  @Enum({ items: () => RequiredCleaning })
  requiredCleaning!: RequiredCleaning;
}

/** What scheduling needs to know of a product beyond its master record. */
@ObjectType({ description: 'How a product is scheduled: its family, allergen classes, set-up and crew.' })
@Extensions({ allow: [Permission.Read] })
@Entity()
export class ProductSchedulingProfile extends Identified<'allergens' | 'crewSize' | 'setupMinutes'> {
  @Field({ description: 'Code of the product definition.' }) @Property({ unique: true }) product!: string;
  @Field(() => String, { nullable: true }) @Property({ nullable: true }) family?: string | null;
  @Field(() => [String], { description: 'Allergen classes the product contains, e.g. `peanut`.' })
  @Property({ type: 'json' })
  allergens: string[] = [];
  @Field(() => Int, { description: 'Set-up minutes before the first part.' }) @Property() setupMinutes: number = 0;
  @Field(() => Int, { description: 'Qualified operators an order of it needs in each shift it runs.' })
  @Property()
  crewSize: number = 1;
}

/** Time a unit is planned not to work (beside its maintenance and calibration records). */
@ObjectType({ description: 'Planned downtime of a unit, entered by planning.' })
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['equipment', 'start'] })
export class PlannedDowntime extends Identified {
  @ManyToOne(() => Equipment, { deleteRule: 'cascade' }) equipment!: Equipment;
  @Field() @Property({ type: 'timestamptz' }) start!: Date;
  @Field() @Property({ type: 'timestamptz' }) end!: Date;
  @Field() @Property({ type: 'text' }) reason!: string;
}
