import { BigIntType } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, Float, ID, ObjectType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Equipment } from './equipment.entity.js';

/** A process value an equipment reported (a temperature, a pressure, a spindle speed …). */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['equipment', 'name', 'at'] })
@Unique({ properties: ['source', 'sequence'] })
export class ProcessValue {
  @Field(() => ID) @PrimaryKey({ type: new BigIntType('string'), autoincrement: true }) id!: string;
  @ManyToOne(() => Equipment, { deleteRule: 'cascade' }) equipment!: Equipment;
  @Field() @Property({ type: 'text', collation: 'C' }) path!: string;
  @Field({ description: 'What is measured, e.g. `temperature`.' }) @Property({ length: 128 }) name!: string;
  @Field(() => Float) @Property({ type: 'double' }) value!: number;
  @Field(() => String, { nullable: true, description: 'Unit of measure, e.g. `degC`.' })
  @Property({ length: 32, nullable: true })
  unit?: string | null;
  @Field() @Property({ type: 'timestamptz' }) at!: Date;
  @Field() @Property() source!: string;
  @Field() @Property({ type: new BigIntType('string') }) sequence!: string;
}
