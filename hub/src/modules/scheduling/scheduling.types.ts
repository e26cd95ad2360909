import { Permission, ScheduleEntryKind } from '@plantgraph/schema';
import { Extensions, Field, ID, ObjectType } from 'type-graphql';
import { RESUME_CURSOR } from '../shared/resume-cursor.js';

/** A change of the production schedule, as delivered to subscribers. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
export class ScheduleEvent {
  @Field({ description: 'ScheduleEntryPlaced, ScheduleEntryMoved or ScheduleEntryRemoved.' }) type!: string;
  @Field(() => ID) entryId!: string;
  @Field(() => ScheduleEntryKind) kind!: ScheduleEntryKind;
  @Field(() => String, { nullable: true }) orderNumber!: string | null;
  @Field({ description: 'Path of the unit (or line) the entry holds.' }) path!: string;
  @Field() start!: Date;
  @Field() end!: Date;
  @Field() at!: Date;
  @Field() actor!: string;
  @Field(() => String, { nullable: true, description: RESUME_CURSOR }) cursor!: string | null;
}
