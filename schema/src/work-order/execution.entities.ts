import { DecimalType } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Identified } from '../common/identified.js';
import { MaterialLot } from '../material/material.entities.js';
import { WorkOrder } from './work-order.entities.js';

/** A value captured at a step, judged against the snapshot's limits. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
export class Measurement {
  @Field() parameter!: string;
  @Field() value!: number;
  @Field() lowerLimit!: number;
  @Field() upperLimit!: number;
  @Field() withinTolerance!: boolean;
}

@InputType()
export class MeasurementInput {
  @Field() parameter!: string;
  @Field() value!: number;
}

/** One segment of the master record as executed on an order. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['workOrder'] })
export class StepRecord extends Identified<'measurements' | 'completedAt' | 'containers'> {
  @ManyToOne(() => WorkOrder, { deleteRule: 'cascade' }) workOrder!: WorkOrder;
  @Field() @Property() segment!: string;
  @Field(() => Int) @Property() sequence!: number;
  @Field({ description: 'Employee id of the operator who executed it.' }) @Property() operator!: string;
  @Field() @Property() equipment!: string;
  @Field() @Property({ type: 'timestamptz' }) startedAt!: Date;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) completedAt?: Date | null;
  @Field(() => [Measurement]) @Property({ type: 'json' }) measurements: Measurement[] = [];
  @Field(() => [String], { description: 'Container ids the step filled or used.' })
  @Property({ type: 'json' })
  containers: string[] = [];
  @Field(() => Boolean, { nullable: true, description: "The operator's pass/fail verdict; a fail opens a deviation." })
  @Property({ type: 'boolean', nullable: true })
  passed?: boolean | null;
  @Field(() => String, {
    nullable: true,
    description: 'Employee id of the second person who verified a critical step.',
  })
  @Property({ nullable: true })
  verifiedBy?: string | null;
}

export enum DeviationKind {
  /** A captured value outside its limits; raised automatically. */
  OutOfTolerance = 'OutOfTolerance',
  /** A correction of recorded execution data; keeps the prior value. */
  Correction = 'Correction',
}
registerEnumType(DeviationKind, { name: 'DeviationKind' });

export enum DeviationState {
  Open = 'Open',
  Closed = 'Closed',
}
registerEnumType(DeviationState, { name: 'DeviationState' });

/** A departure from the master record that quality must close before the order can be released to stock. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['workOrder', 'state'] })
export class Deviation extends Identified<'state'> {
  @ManyToOne(() => WorkOrder, { deleteRule: 'cascade' }) workOrder!: WorkOrder;
  @Field(() => DeviationKind) @Enum({ items: () => DeviationKind }) kind!: DeviationKind;
  @Field(() => DeviationState) @Enum({ items: () => DeviationState }) state: DeviationState = DeviationState.Open;
  @Field(() => String, { nullable: true }) @Property({ nullable: true }) segment?: string | null;
  @Field() @Property({ type: 'text' }) description!: string;
  @Field() @Property() openedBy!: string;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) resolution?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) closedAt?: Date | null;
}

/** A lot that went into a lot the order produced. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['output'] })
@Index({ properties: ['input'] })
export class LotGenealogy extends Identified {
  @ManyToOne(() => MaterialLot, { deleteRule: 'restrict' }) output!: MaterialLot;
  @ManyToOne(() => MaterialLot, { deleteRule: 'restrict' }) input!: MaterialLot;
  @Field() @Property({ type: new DecimalType('number'), precision: 18, scale: 6 }) quantity!: number;
  @ManyToOne(() => WorkOrder, { deleteRule: 'restrict' }) workOrder!: WorkOrder;
}

export enum SignatureMeaning {
  Review = 'Review',
  Approval = 'Approval',
  Responsibility = 'Responsibility',
  Verification = 'Verification',
}
registerEnumType(SignatureMeaning, { name: 'SignatureMeaning' });

/** An electronic signature (21 CFR Part 11): who, printed name, when, what it means, bound to the record's hash. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['recordType', 'recordId'] })
export class ElectronicSignature extends Identified {
  @Field() @Property() signer!: string;
  @Field() @Property() printedName!: string;
  @Field() @Property({ type: 'timestamptz' }) signedAt!: Date;
  @Field(() => SignatureMeaning) @Enum({ items: () => SignatureMeaning }) meaning!: SignatureMeaning;
  @Field() @Property() recordType!: string;
  @Field() @Property() recordId!: string;
  @Field({ description: 'sha256 of the signed record as it was at signing.' })
  @Property({ columnType: 'char(64)' })
  recordHash!: string;
}

@InputType({
  description:
    'A signature: the signer re-authenticates by sending a fresh token of their own (issued in the last 5 minutes).',
})
export class SignatureInput {
  @Field() token!: string;
  @Field(() => SignatureMeaning) meaning!: SignatureMeaning;
}
