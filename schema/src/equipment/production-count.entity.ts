import { BigIntType } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Equipment } from './equipment.entity.js';

/**
 * Parts an equipment reported since its previous count signal: good, scrap and rework. A cycle
 * completion is a count that also carries the cycle's measured time.
 */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['equipment', 'at'] })
@Unique({ properties: ['source', 'sequence'] })
export class ProductionCount {
  @Field(() => ID) @PrimaryKey({ type: new BigIntType('string'), autoincrement: true }) id!: string;
  @ManyToOne(() => Equipment, { deleteRule: 'cascade' }) equipment!: Equipment;
  @Field() @Property({ type: 'text', collation: 'C' }) path!: string;
  @Field() @Property({ type: 'timestamptz' }) at!: Date;
  @Field(() => Int) @Property() good!: number;
  @Field(() => Int) @Property() scrap!: number;
  @Field(() => Int) @Property() rework!: number;
  @Field(() => Float, {
    nullable: true,
    description: 'Measured cycle time in milliseconds, for cycle-completion signals.',
  })
  @Property({ type: 'double', nullable: true })
  cycleTimeMs?: number | null;
  @Field() @Property() source!: string;
  @Field() @Property({ type: new BigIntType('string') }) sequence!: string;
}
