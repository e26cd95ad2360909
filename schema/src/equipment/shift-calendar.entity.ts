import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, InputType, Int, ObjectType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Identified } from '../common/identified.js';

@ObjectType()
@InputType('ShiftBreakInput')
@Extensions({ allow: [Permission.Read] })
export class ShiftBreak {
  @Field({ description: 'Local time, HH:MM.' }) start!: string;
  @Field({ description: 'Local time, HH:MM.' }) end!: string;
}

@ObjectType()
@InputType('ShiftInput')
@Extensions({ allow: [Permission.Read] })
export class Shift {
  @Field() name!: string;
  @Field({ description: 'Local time, HH:MM.' }) start!: string;
  @Field({ description: 'Local time, HH:MM; before the start means the next day (a night shift).' }) end!: string;
  @Field(() => [ShiftBreak], { defaultValue: [] }) breaks!: ShiftBreak[];
}

/**
 * When the equipment at and under `scope` is planned to work: the daily shifts with their planned
 * breaks, in the plant's time zone. The nearest calendar up an equipment's path applies.
 */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
export class ShiftCalendar extends Identified<'microstopThresholdSeconds'> {
  @Field({ description: 'Equipment path the calendar covers (a site, an area, a line).' })
  @Property({ unique: true, type: 'text', collation: 'C' })
  scope!: string;
  @Field({ description: 'IANA time zone, e.g. Europe/Berlin.' }) @Property() timeZone!: string;
  @Field(() => [Shift]) @Property({ type: 'json' }) shifts!: Shift[];
  @Field(() => Int, { description: 'Stops shorter than this are microstops (a speed loss).' })
  @Property()
  microstopThresholdSeconds: number = 120;
}

@InputType({ description: 'Sets (creates or replaces) the calendar of a scope.' })
export class SetShiftCalendarInput {
  @Field() scope!: string;
  @Field() timeZone!: string;
  @Field(() => [Shift]) shifts!: Shift[];
  @Field(() => Int, { nullable: true }) microstopThresholdSeconds?: number | null;
}
