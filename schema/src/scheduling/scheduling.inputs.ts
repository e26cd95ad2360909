import { Field, ID, InputType, Int } from 'type-graphql';
import { RequiredCleaning, ScheduleEntryKind } from './scheduling.entities.js';

@InputType({
  description: 'Places an order on a unit (or its whole line) from `start`; the end follows from its duration.',
})
export class ScheduleWorkOrderInput {
  @Field() number!: string;
  @Field(() => String, { nullable: true, description: "Path of the unit; default the order's line." })
  unit?: string | null;
  @Field() start!: Date;
}

@InputType()
export class UnscheduleWorkOrderInput {
  @Field() number!: string;
}

@InputType({
  description: 'A cleaning or sanitation block on a unit, e.g. between an allergen and a non-allergen order.',
})
export class ScheduleCleaningInput {
  @Field() unit!: string;
  @Field(() => ScheduleEntryKind, { description: 'Cleaning or Sanitation.' }) kind!: ScheduleEntryKind;
  @Field() start!: Date;
  @Field(() => Int) minutes!: number;
  @Field(() => String, { nullable: true }) note?: string | null;
}

@InputType({ description: 'Creates or replaces (by name) a row of the changeover matrix.' })
export class SetChangeoverRuleInput {
  @Field() name!: string;
  @Field() scope!: string;
  @Field() fromProducts!: string;
  @Field() toProducts!: string;
  @Field(() => Int) minutes!: number;
  @Field(() => RequiredCleaning, { defaultValue: RequiredCleaning.None }) requiredCleaning!: RequiredCleaning;
}

@InputType({ description: "Creates or replaces a product's scheduling profile." })
export class SetProductSchedulingProfileInput {
  @Field() product!: string;
  @Field(() => String, { nullable: true }) family?: string | null;
  @Field(() => [String], { defaultValue: [] }) allergens!: string[];
  @Field(() => Int, { defaultValue: 0 }) setupMinutes!: number;
  @Field(() => Int, { defaultValue: 1 }) crewSize!: number;
}

@InputType()
export class EnterPlannedDowntimeInput {
  @Field() equipment!: string;
  @Field() start!: Date;
  @Field() end!: Date;
  @Field() reason!: string;
}

@InputType({ description: "Sequences a line's Draft orders not yet scheduled (or the ones named) from `start`." })
export class SequenceLineInput {
  @Field({ description: 'The line (or unit) whose backlog is sequenced.' }) line!: string;
  @Field() start!: Date;
  @Field(() => [String], { nullable: true, description: 'Order numbers; default every unscheduled Draft of the line.' })
  orders?: string[] | null;
  @Field({ defaultValue: false, description: 'Schedule the proposal (with the sanitations it needs) if it passes.' })
  apply!: boolean;
}

@InputType()
export class RemoveCleaningInput {
  @Field(() => ID, { description: 'Id of the cleaning or sanitation entry.' }) id!: string;
}
