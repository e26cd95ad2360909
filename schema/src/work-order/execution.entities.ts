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

/** One lot a batch was split into at a step. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
export class SplitPart {
  @Field() lotNumber!: string;
  @Field() quantity!: number;
}

/** A batch split into downstream lots while a step was executed: the batch's lot and its parts. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
export class StepSplit {
  @Field({ description: "The batch's lot, made at the split." }) lotNumber!: string;
  @Field({ description: "The batch's quantity; the parts sum to it." }) quantity!: number;
  @Field(() => [SplitPart]) parts!: SplitPart[];
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
  @Field(() => Int, {
    nullable: true,
    description: 'For a campaign order: the batch (1, 2, …) the step was executed for; each batch runs every step.',
  })
  @Property({ type: 'int', nullable: true })
  batch?: number | null;
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
  @Field(() => StepSplit, { nullable: true, description: 'The split of the batch recorded at this step, if any.' })
  @Property({ type: 'json', nullable: true })
  split?: StepSplit | null;
}

export enum DeviationKind {
  /** A captured value outside its limits (or a failed verdict); raised automatically. */
  OutOfTolerance = 'OutOfTolerance',
  /** A correction of recorded execution data; keeps the prior value. */
  Correction = 'Correction',
  /** The produced quantity outside the master record's yield bracket; raised at completion. */
  YieldOutOfBracket = 'YieldOutOfBracket',
  /** Raised by a person (`raiseDeviation`): material not as specified (damaged, wrong, contaminated). */
  Material = 'Material',
  /** Raised by a person: equipment misbehaved or was used outside its condition. */
  Equipment = 'Equipment',
  /** Raised by a person: the procedure (work instruction, master record) was not followed. */
  Procedure = 'Procedure',
  /** An approved engineering change (redline) reached the order in flight; a supervisor paused it. */
  EngineeringChange = 'EngineeringChange',
  /** Raised by a person: environment out of its limits (temperature, humidity, cleanliness). */
  Environment = 'Environment',
  /** Raised by a person: anything else, described. */
  Other = 'Other',
}
registerEnumType(DeviationKind, { name: 'DeviationKind' });

/** The kinds only the hub raises, from what it records; a person raises the others. */
export const AUTOMATIC_DEVIATION_KINDS: ReadonlySet<DeviationKind> = new Set([
  DeviationKind.OutOfTolerance,
  DeviationKind.Correction,
  DeviationKind.YieldOutOfBracket,
  DeviationKind.EngineeringChange,
]);

/** How much a deviation may affect the product's quality. */
export enum DeviationSeverity {
  Minor = 'Minor',
  Major = 'Major',
  Critical = 'Critical',
}
registerEnumType(DeviationSeverity, { name: 'DeviationSeverity' });

export enum DeviationState {
  Open = 'Open',
  Closed = 'Closed',
}
registerEnumType(DeviationState, { name: 'DeviationState' });

/**
 * A departure from the master record (a nonconformance) on an order, one of its steps, or a lot,
 * that quality must close; an order's open deviations keep it from being released to stock.
 */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['workOrder', 'state'] })
@Index({ properties: ['lot'] })
export class Deviation extends Identified<'state' | 'severity'> {
  /** Null for a deviation on a lot alone. */
  @ManyToOne(() => WorkOrder, { deleteRule: 'cascade', nullable: true }) workOrder?: WorkOrder | null;
  @ManyToOne(() => MaterialLot, { deleteRule: 'restrict', nullable: true }) lot?: MaterialLot | null;
  @Field(() => DeviationSeverity) @Enum({ items: () => DeviationSeverity }) severity: DeviationSeverity =
    DeviationSeverity.Major;
  @Field(() => DeviationKind) @Enum({ items: () => DeviationKind }) kind!: DeviationKind;
  @Field(() => DeviationState) @Enum({ items: () => DeviationState }) state: DeviationState = DeviationState.Open;
  @Field(() => String, { nullable: true }) @Property({ nullable: true }) segment?: string | null;
  @Field() @Property({ type: 'text' }) description!: string;
  @Field() @Property() openedBy!: string;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) resolution?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) closedAt?: Date | null;
  @Field(() => String, {
    nullable: true,
    description: 'The CAPA (corrective and preventive action) this deviation is handled under, e.g. `CAPA-2026-014`.',
  })
  @Property({ type: 'text', nullable: true })
  capaReference?: string | null;
  @Field(() => String, { nullable: true }) @Property({ nullable: true }) capaLinkedBy?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) capaLinkedAt?: Date | null;
  @Field(() => String, { nullable: true }) @Property({ nullable: true }) capaClosedBy?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) capaClosedAt?: Date | null;
  @Field(() => String, { nullable: true, description: 'How the CAPA was closed (its effectiveness check).' })
  @Property({ type: 'text', nullable: true })
  capaClosure?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'The nonconformance record in the quality system (QMS) that holds it, e.g. `NC-2026-0042`.',
  })
  @Property({ nullable: true })
  qmsReference?: string | null;
  @Field(() => String, { nullable: true, description: "The QMS record's status as the QMS names it, e.g. `Closed`." })
  @Property({ nullable: true })
  qmsStatus?: string | null;
  @Field(() => Date, { nullable: true, description: 'When the QMS closed its record (not the closure in the hub).' })
  @Property({ type: 'timestamptz', nullable: true })
  qmsClosedAt?: Date | null;
  @Field(() => String, { nullable: true, description: "The QMS's closure text: disposition, root cause, actions." })
  @Property({ type: 'text', nullable: true })
  qmsClosure?: string | null;
  @Field(() => String, { nullable: true, description: 'Who recorded the QMS status last (a connector principal).' })
  @Property({ nullable: true })
  qmsUpdatedBy?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) qmsUpdatedAt?: Date | null;
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
  @Field(() => String, { nullable: true, description: 'The step at which a batch was split into this lot.' })
  @Property({ nullable: true })
  segment?: string | null;
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
  /** The quantity of released product (an order's output, released to stock) is changed (Approval). */
  ReleasedProductChange = 'ReleasedProductChange',
  /** A maintenance order's work is accepted: Review, or Approval (the quality unit) for a calibration. */
  MaintenanceSignOff = 'MaintenanceSignOff',
  /** A redline of a master record is approved: one Review and one Approval, by two people other than its author. */
  RedlineApproval = 'RedlineApproval',
  /** The unit is cleaned between two batches of a campaign (Responsibility). */
  CampaignCleaning = 'CampaignCleaning',
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
