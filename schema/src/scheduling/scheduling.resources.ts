import { DecimalType } from '@mikro-orm/core';
import { Entity, Index, Property } from '@mikro-orm/decorators/legacy';
import { createUnionType, Extensions, Field, ID, InputType, ObjectType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { DuplicateKey, InvalidInput, NotFound } from '../common/errors.js';
import { Identified } from '../common/identified.js';

const quantity = () => ({ type: new DecimalType('number'), precision: 18, scale: 6 });

/**
 * One person on one shift of a calendar (ADR 0048): every day from `validFrom` to `validUntil`, or
 * on the days a repeating crew pattern marks (`W` works, `-` off, day 1 of the cycle on `validFrom`),
 * e.g. `WWWW----` for four on, four off. Once a calendar has a roster, scheduling counts only the
 * people rostered on a shift.
 */
@ObjectType({ description: 'A person rostered on a shift of a line’s calendar, on dates or by a crew pattern.' })
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['scope', 'shift'] })
export class ShiftAssignment extends Identified<'pattern' | 'validUntil'> {
  @Field({ description: 'Scope of the shift calendar (a site, an area, a line).' })
  @Property({ type: 'text', collation: 'C' })
  scope!: string;
  @Field({ description: 'Name of the shift in that calendar, e.g. Early.' }) @Property() shift!: string;
  @Field() @Property() employeeId!: string;
  @Field({ description: 'First local date (YYYY-MM-DD) of the assignment; day 1 of its pattern.' })
  @Property()
  validFrom!: string;
  @Field(() => String, { nullable: true, description: 'Last local date (YYYY-MM-DD); open-ended when null.' })
  @Property({ nullable: true })
  validUntil: string | null = null;
  @Field(() => String, {
    nullable: true,
    description: 'Repeating crew pattern, one character a day: W works, - off (e.g. WWWW----); null: every day.',
  })
  @Property({ nullable: true })
  pattern: string | null = null;
}

@InputType({ description: 'Rosters a person on a shift of the calendar of `scope`.' })
export class RosterShiftInput {
  @Field() scope!: string;
  @Field() shift!: string;
  @Field() employeeId!: string;
  @Field() validFrom!: string;
  @Field(() => String, { nullable: true }) validUntil?: string | null;
  @Field(() => String, { nullable: true, description: 'W works, - off, repeating from validFrom; 1–56 days.' })
  pattern?: string | null;
}

@InputType()
export class RemoveShiftAssignmentInput {
  @Field(() => ID) id!: string;
}

export const ShiftAssignmentResult = createUnionType({
  name: 'ShiftAssignmentResult',
  types: () => [ShiftAssignment, NotFound, InvalidInput, DuplicateKey] as const,
});

/**
 * A quantity of a material expected at a date (e.g. an ERP purchase order line), counted by
 * scheduling as available from then until it is closed (received as a lot, or cancelled).
 */
@ObjectType({ description: 'Material expected to arrive: counted by scheduling from its date until closed.' })
@Extensions({ allow: [Permission.Read] })
@Entity()
export class PlannedReceipt extends Identified<'closedAt' | 'closeReason'> {
  @Field({ description: 'The sender’s key, e.g. the purchase order and line: PO-4711/10.' })
  @Property({ unique: true })
  reference!: string;
  @Field({ description: 'Code of the material definition.' }) @Property() material!: string;
  @Field() @Property(quantity()) quantity!: number;
  @Field() @Property() unitOfMeasure!: string;
  @Field() @Property({ type: 'timestamptz' }) expectedAt!: Date;
  @Field({ description: 'Equipment path where it is received (a site or area); who may see it.' })
  @Property({ type: 'text', collation: 'C' })
  location!: string;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) closedAt: Date | null =
    null;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) closeReason: string | null =
    null;
}

@InputType({ description: 'Records or updates (by reference) material expected at a date.' })
export class RecordPlannedReceiptInput {
  @Field() reference!: string;
  @Field() material!: string;
  @Field() quantity!: number;
  @Field() expectedAt!: Date;
  @Field() location!: string;
}

@InputType({ description: 'Closes a planned receipt: received (as a lot) or cancelled.' })
export class ClosePlannedReceiptInput {
  @Field() reference!: string;
  @Field() reason!: string;
}

export const PlannedReceiptResult = createUnionType({
  name: 'PlannedReceiptResult',
  types: () => [PlannedReceipt, NotFound, InvalidInput, DuplicateKey] as const,
});
