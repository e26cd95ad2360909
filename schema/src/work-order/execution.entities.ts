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

/**
 * What a signature means (21 CFR 11.50). Each meaning needs a permission where the record is
 * (ADR 0015): Review needs Sign, Approval needs QualityApproval, Verification and Responsibility
 * need ExecuteSteps.
 */
export enum SignatureMeaning {
  Review = 'Review',
  Approval = 'Approval',
  Responsibility = 'Responsibility',
  Verification = 'Verification',
}
registerEnumType(SignatureMeaning, { name: 'SignatureMeaning' });

/** The regulated act a signature was given for; each act takes one meaning (two for two-person acts). */
export enum SignedAct {
  /** A second person verifies a critical step (Verification). */
  StepVerification = 'StepVerification',
  /** A person qualified for line clearance confirms the line is clear (Responsibility). */
  LineClearance = 'LineClearance',
  /** A deviation is closed: one Review and one Approval, by two people. */
  DeviationClosure = 'DeviationClosure',
  /** A recorded value is corrected: one Review and one Approval, by two people. */
  Correction = 'Correction',
  /** The quality unit releases the produced batch to stock (Approval). */
  ReleaseToStock = 'ReleaseToStock',
  /** The quality unit rejects the produced batch, with its disposition (Approval). */
  Rejection = 'Rejection',
  /** A master-record version is reviewed by someone other than its authors (Review). */
  MasterRecordReview = 'MasterRecordReview',
  /** A reviewed master-record version is approved by the quality unit (Approval). */
  MasterRecordApproval = 'MasterRecordApproval',
}
registerEnumType(SignedAct, { name: 'SignedAct' });

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
  @Field(() => SignedAct, {
    nullable: true,
    description: 'What was signed for; null on signatures made before it was kept.',
  })
  @Enum({ items: () => SignedAct, nullable: true })
  act?: SignedAct | null;
  @Field() @Property() recordType!: string;
  @Field() @Property() recordId!: string;
  @Field({ description: 'sha256 of the signed record as it was at signing.' })
  @Property({ columnType: 'char(64)' })
  recordHash!: string;
}

@InputType({
  description:
    "A signature: the signer re-authenticates by sending a fresh token of their own (signed in within the last 5 minutes: the token's auth_time), and says what the signature means, which must be the meaning the act takes.",
})
export class SignatureInput {
  @Field() token!: string;
  @Field(() => SignatureMeaning) meaning!: SignatureMeaning;
}
