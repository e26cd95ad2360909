import { BigIntType, OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, ID, ObjectType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Equipment } from './equipment.entity.js';
import { EquipmentState } from './equipment-state.js';

/**
 * One entry of an equipment's state history. Signals from equipment carry their source and
 * sequence; the unique pair makes a re-delivered signal a no-op.
 */
@ObjectType({ description: 'A state an equipment entered, when, why, and who reported it.' })
@Entity()
@Index({ properties: ['equipment', 'at'] })
// `stateHistory` pages newest first by id; without it the primary key is walked past other machines' rows.
@Index({ properties: ['equipment', 'id'] })
@Unique({ properties: ['source', 'sequence'] })
@Extensions({ allow: [Permission.Read] })
export class EquipmentStateChange {
  [OptionalProps]?: 'applied';
  @Field(() => ID)
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  // No foreign key (ADR 0055): every writer holds the equipment row's lock; a statement trigger on
  // `equipment` removes the history with it.
  @ManyToOne(() => Equipment, { createForeignKeyConstraint: false })
  equipment!: Equipment;

  @Field({ description: 'Path of the equipment at the time of the change.' })
  @Property({ type: 'text', collation: 'C' })
  path!: string;

  @Field(() => EquipmentState)
  @Enum({ items: () => EquipmentState })
  state!: EquipmentState;

  @Field(() => EquipmentState, { nullable: true })
  @Enum({ items: () => EquipmentState, nullable: true })
  previousState?: EquipmentState | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  reason?: string | null;

  @Field({ description: 'When the equipment entered the state (the signal time, not the arrival time).' })
  @Property({ type: 'timestamptz' })
  at!: Date;

  @Field({ description: 'Who reported it: a signal source id, or `api:<actor>` for a mutation.' })
  @Property()
  source!: string;

  @Field(() => String, { nullable: true, description: "The source's sequence number, for signals." })
  @Property({ type: new BigIntType('string'), nullable: true })
  sequence?: string | null;

  @Field({
    description:
      'False when the report was older than the newest one (late or backfilled): it is part of the history, and of OEE, at its own time, but did not change the current state.',
  })
  @Property()
  applied: boolean = true;
}
