import { Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/decorators/legacy';
import { createUnionType, Extensions, Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { InvalidInput, InvalidTransition, NotFound, UnknownReference } from '../common/errors.js';
import { Identified } from '../common/identified.js';
import { Deviation, SignatureInput } from '../work-order/execution.entities.js';
import { WorkOrder } from '../work-order/work-order.entities.js';
import { ProductDefinitionVersion } from './product-definition.entities.js';
import { ProductSegment } from './product-segment.js';

export enum RedlineState {
  /** Written, waiting for its two signatures. */
  Proposed = 'Proposed',
  /** Signed: a new Active version carries it; orders in flight were told. */
  Approved = 'Approved',
  Withdrawn = 'Withdrawn',
}
registerEnumType(RedlineState, { name: 'RedlineState' });

/**
 * An engineering change marked up on an active master-record version: what changes (the segments
 * as they are to be), why, by whom, approved by whom. Approving it makes a new Active version; it
 * never reaches a released order's snapshot.
 */
@ObjectType({ description: 'An engineering change (redline) on a product-definition version.' })
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['productDefinitionVersion'] })
export class Redline extends Identified<'state'> {
  @ManyToOne(() => ProductDefinitionVersion, { deleteRule: 'restrict' })
  productDefinitionVersion!: ProductDefinitionVersion;
  @Field({ description: 'What changes, in words.' }) @Property({ type: 'text' }) change!: string;
  @Field({ description: 'Why it changes.' }) @Property({ type: 'text' }) reason!: string;
  @Field(() => [ProductSegment], { description: 'The segments as they are to be.' })
  @Property({ type: 'json' })
  segments!: ProductSegment[];
  @Field(() => RedlineState) @Enum({ items: () => RedlineState }) state: RedlineState = RedlineState.Proposed;
  @Field({ description: 'Who wrote it (`user:<employee id>` …).' }) @Property() proposedBy!: string;
  @Field(() => [String], { description: 'Employee ids of the reviewer and the approver, once approved.' })
  @Property({ type: 'json', nullable: true })
  approvedBy?: string[] | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) approvedAt?: Date | null;
  @ManyToOne(() => ProductDefinitionVersion, { deleteRule: 'restrict', nullable: true })
  resultingVersion?: ProductDefinitionVersion | null;
}

export enum EngineeringChangeDecision {
  /**
   * Waiting for a supervisor; meanwhile no step of the order starts or completes, and its batch is not
   * split or completed (values and material can still be recorded: they say what happened).
   */
  Pending = 'Pending',
  /** The order finishes on its released snapshot, as recorded. */
  ContinueOnSnapshot = 'ContinueOnSnapshot',
  /** The order was paused with an EngineeringChange deviation. */
  PauseWithDeviation = 'PauseWithDeviation',
}
registerEnumType(EngineeringChangeDecision, { name: 'EngineeringChangeDecision' });

/** An order in flight when a redline was approved: told, and decided on by a supervisor. */
@ObjectType({ description: 'An order in flight that an approved redline affects, and what a supervisor decided.' })
@Extensions({ allow: [Permission.Read] })
@Entity()
@Unique({ properties: ['redline', 'workOrder'] })
export class AffectedOrder extends Identified<'decision'> {
  @ManyToOne(() => Redline, { deleteRule: 'cascade' }) redline!: Redline;
  @ManyToOne(() => WorkOrder, { deleteRule: 'cascade' }) workOrder!: WorkOrder;
  @Field(() => String, { nullable: true, description: 'The step the order was on when told (its current step).' })
  @Property({ nullable: true })
  step?: string | null;
  @Field(() => [String], { description: 'Employee ids of the operators told.' })
  @Property({ type: 'json' })
  operators!: string[];
  @Field(() => EngineeringChangeDecision)
  @Enum({ items: () => EngineeringChangeDecision })
  decision: EngineeringChangeDecision = EngineeringChangeDecision.Pending;
  @Field(() => String, { nullable: true }) @Property({ nullable: true }) decidedBy?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) decidedAt?: Date | null;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) decisionReason?: string | null;
  @ManyToOne(() => Deviation, { deleteRule: 'restrict', nullable: true }) deviation?: Deviation | null;
}

@InputType()
export class ProposeRedlineInput {
  @Field({ description: 'Id of the Active product-definition version to change.' }) productDefinitionVersion!: string;
  @Field() change!: string;
  @Field() reason!: string;
  @Field(() => [ProductSegment]) segments!: ProductSegment[];
}

@InputType()
export class ApproveRedlineInput {
  @Field() id!: string;
  @Field(() => [SignatureInput], {
    description: 'One Review (Sign) and one Approval (QualityApproval), by two people other than the author.',
  })
  signatures!: SignatureInput[];
}

@InputType()
export class DecideEngineeringChangeInput {
  @Field({ description: 'Id of the redline.' }) redline!: string;
  @Field({ description: 'The affected order.' }) number!: string;
  @Field(() => EngineeringChangeDecision, { description: 'ContinueOnSnapshot or PauseWithDeviation.' })
  decision!: EngineeringChangeDecision;
  @Field() reason!: string;
}

export const RedlineResult = createUnionType({
  name: 'RedlineResult',
  types: () => [Redline, NotFound, InvalidInput, InvalidTransition, UnknownReference] as const,
});
export const AffectedOrderResult = createUnionType({
  name: 'AffectedOrderResult',
  types: () => [AffectedOrder, NotFound, InvalidInput, InvalidTransition] as const,
});
