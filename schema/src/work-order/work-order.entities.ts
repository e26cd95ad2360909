import { DecimalType } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Identified } from '../common/identified.js';
import { Equipment } from '../equipment/equipment.entity.js';
import { ProductDefinitionVersion } from '../product-definition/product-definition.entities.js';
import { MasterRecordSnapshot } from './master-record-snapshot.js';

/** The states of a regulated work order, from planning to disposition. */
export enum WorkOrderState {
  Draft = 'Draft',
  Released = 'Released',
  InProgress = 'InProgress',
  Paused = 'Paused',
  Completed = 'Completed',
  UnderReview = 'UnderReview',
  ReleasedToStock = 'ReleasedToStock',
  Rejected = 'Rejected',
  Cancelled = 'Cancelled',
}
registerEnumType(WorkOrderState, { name: 'WorkOrderState' });

/** The equipment and operators assigned to one segment of an order. */
@ObjectType()
@InputType('StepAssignmentInput')
@Extensions({ allow: [Permission.Read] })
export class StepAssignment {
  @Field({ description: 'Code of the segment in the master record.' }) segment!: string;
  @Field({ description: 'Path of the equipment that runs it.' }) equipment!: string;
  @Field(() => [String], { description: 'Employee ids of the operators.' }) operators!: string[];
}

/** An order to make a quantity of a product by one version of its master record, on some equipment. */
@ObjectType()
@Entity()
@Index({ properties: ['state'] })
@Index({ properties: ['equipment'] })
@Extensions({ allow: [Permission.Read] })
export class WorkOrder extends Identified<'state' | 'stateChangedAt' | 'assignments'> {
  @Field({ description: 'The order number, usually from the ERP.' }) @Property({ unique: true }) number!: string;
  @Field(() => String, {
    nullable: true,
    description: 'Key of the order in the system it was imported from (e.g. `sap-s4hana:1000123`); null if made here.',
  })
  @Property({ type: 'text', nullable: true, unique: true })
  externalReference?: string | null;
  @ManyToOne(() => ProductDefinitionVersion, { deleteRule: 'restrict' })
  productDefinitionVersion!: ProductDefinitionVersion;
  @Field() @Property({ type: new DecimalType('number'), precision: 18, scale: 6 }) quantity!: number;
  @Field() @Property() unitOfMeasure!: string;
  @ManyToOne(() => Equipment, { deleteRule: 'restrict' }) equipment!: Equipment;
  @Field(() => WorkOrderState) @Enum({ items: () => WorkOrderState }) state: WorkOrderState = WorkOrderState.Draft;
  @Field({ description: 'When the order entered its current state.' })
  @Property({ type: 'timestamptz' })
  stateChangedAt: Date = new Date();
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) plannedStart?: Date | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) plannedEnd?: Date | null;
  @Field(() => MasterRecordSnapshot, {
    nullable: true,
    description: 'The master record as released; null before release.',
  })
  @Property({ type: 'json', nullable: true })
  snapshot?: MasterRecordSnapshot | null;
  @Field(() => [StepAssignment], { description: 'Who and what runs each segment, fixed at release.' })
  @Property({ type: 'json' })
  assignments: StepAssignment[] = [];
  @Field(() => Date, { nullable: true, description: 'When the line was confirmed clear before the first step.' })
  @Property({ type: 'timestamptz', nullable: true })
  lineClearedAt?: Date | null;
  @Field(() => Date, { nullable: true, description: 'When the order first went InProgress (start of its OEE window).' })
  @Property({ type: 'timestamptz', nullable: true })
  actualStart?: Date | null;
  @Field(() => Date, {
    nullable: true,
    description: 'When the order was completed or cancelled (end of its OEE window).',
  })
  @Property({ type: 'timestamptz', nullable: true })
  actualEnd?: Date | null;
  @Field(() => String, { nullable: true, description: 'The lot the order produced, once completed.' })
  @Property({ nullable: true })
  producedLot?: string | null;
  @Field(() => Int, {
    nullable: true,
    description: 'A campaign order: how many sequential batches it makes on its unit; null for one batch.',
  })
  @Property({ type: 'integer', nullable: true })
  campaignBatches?: number | null;
  @Field(() => String, { nullable: true, description: 'Why the order was paused or cancelled.' })
  @Property({ type: 'text', nullable: true })
  stateReason?: string | null;
}
