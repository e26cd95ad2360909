import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { createUnionType, Extensions, Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { DuplicateKey, InvalidInput, InvalidTransition, NotFound } from '../common/errors.js';
import { Identified } from '../common/identified.js';
import { SignatureInput } from '../work-order/execution.entities.js';
import { Equipment } from './equipment.entity.js';

/** What a maintenance order is for. */
export enum MaintenanceOrderKind {
  /** Planned upkeep: due (a warning) while open, holding the equipment once work starts. */
  Preventive = 'Preventive',
  /** A repair: holds the equipment from the moment it is opened. */
  Corrective = 'Corrective',
  /** A calibration: holds the equipment from its due date (now when none), lifted only by sign-off. */
  Calibration = 'Calibration',
}
registerEnumType(MaintenanceOrderKind, { name: 'MaintenanceOrderKind' });

/** The lifecycle of a maintenance order. */
export enum MaintenanceOrderState {
  Open = 'Open',
  InProgress = 'InProgress',
  /** The technician finished; the equipment stays held until the work is signed off. */
  Completed = 'Completed',
  SignedOff = 'SignedOff',
  Cancelled = 'Cancelled',
}
registerEnumType(MaintenanceOrderState, { name: 'MaintenanceOrderState' });

const M = MaintenanceOrderState;
/** Every transition is its own mutation; sign-off is the only way to lift what the order holds but cancelling. */
export const MAINTENANCE_ORDER_TRANSITIONS: Readonly<Record<MaintenanceOrderState, readonly MaintenanceOrderState[]>> =
  {
    [M.Open]: [M.InProgress, M.Cancelled],
    [M.InProgress]: [M.Completed, M.Cancelled],
    [M.Completed]: [M.SignedOff, M.InProgress],
    [M.SignedOff]: [],
    [M.Cancelled]: [],
  };

/**
 * Maintenance work against one equipment asset (ISA-95 maintenance operations): preventive,
 * corrective or calibration. While open it holds an equipment condition record (ADR 0016) under
 * the reference `maintenance-order:<number>`, written by the same writer a CMMS connector uses.
 */
@ObjectType({ description: 'A maintenance order against an equipment asset, with its own lifecycle and sign-off.' })
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['equipment', 'state'] })
export class MaintenanceOrder extends Identified<'state' | 'stateChangedAt'> {
  @Field() @Property({ unique: true }) number!: string;
  @Field(() => MaintenanceOrderKind) @Enum({ items: () => MaintenanceOrderKind }) kind!: MaintenanceOrderKind;
  @ManyToOne(() => Equipment, { deleteRule: 'restrict' }) equipment!: Equipment;
  @Field({ description: 'What is to be done, and why.' }) @Property({ type: 'text' }) description!: string;
  @Field(() => MaintenanceOrderState)
  @Enum({ items: () => MaintenanceOrderState })
  state: MaintenanceOrderState = MaintenanceOrderState.Open;
  @Field() @Property({ type: 'timestamptz' }) stateChangedAt: Date = new Date();
  @Field(() => Date, {
    nullable: true,
    description: 'When the work falls due; a calibration holds the interlock from then (at once when none is given).',
  })
  @Property({ type: 'timestamptz', nullable: true })
  dueAt?: Date | null;
  @Field(() => Date, {
    nullable: true,
    description: 'When the work is planned to take the equipment out of use (for schedules); informative only.',
  })
  @Property({ type: 'timestamptz', nullable: true })
  plannedStart?: Date | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) plannedEnd?: Date | null;
  @Field() @Property() openedBy!: string;
  @Field(() => String, { nullable: true }) @Property({ nullable: true }) startedBy?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) startedAt?: Date | null;
  @Field(() => String, { nullable: true }) @Property({ nullable: true }) completedBy?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) completedAt?: Date | null;
  @Field(() => String, { nullable: true, description: 'The work done (findings, parts, the certificate).' })
  @Property({ type: 'text', nullable: true })
  workDone?: string | null;
  @Field(() => String, { nullable: true, description: 'Employee id of the person who signed the work off.' })
  @Property({ nullable: true })
  signedOffBy?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) signedOffAt?: Date | null;
  @Field(() => Date, {
    nullable: true,
    description: 'A signed-off calibration: when the equipment is next due (a new CalibrationDue record).',
  })
  @Property({ type: 'timestamptz', nullable: true })
  nextCalibrationDueAt?: Date | null;
  @Field(() => String, { nullable: true, description: 'Why the order was cancelled or sent back.' })
  @Property({ type: 'text', nullable: true })
  stateReason?: string | null;
}

@InputType()
export class OpenMaintenanceOrderInput {
  @Field() number!: string;
  @Field(() => MaintenanceOrderKind) kind!: MaintenanceOrderKind;
  @Field({ description: 'Path of the equipment asset.' }) equipment!: string;
  @Field() description!: string;
  @Field(() => Date, { nullable: true }) dueAt?: Date | null;
  @Field(() => Date, { nullable: true, description: 'The planned window of the work, for schedules.' })
  plannedStart?: Date | null;
  @Field(() => Date, { nullable: true }) plannedEnd?: Date | null;
}

@InputType()
export class MaintenanceOrderTransitionInput {
  @Field() number!: string;
  @Field(() => String, {
    nullable: true,
    description: 'The work done (to complete), or why (to cancel or send back).',
  })
  reason?: string | null;
}

@InputType()
export class SignOffMaintenanceOrderInput {
  @Field() number!: string;
  @Field(() => SignatureInput, {
    description:
      'Review by someone holding Sign at the equipment; a calibration takes Approval (the quality unit). Not by whoever did the work.',
  })
  signature!: SignatureInput;
  @Field(() => Date, {
    nullable: true,
    description: 'Required for a calibration: when the equipment is next due; it must lie ahead.',
  })
  nextCalibrationDueAt?: Date | null;
}

export const MaintenanceOrderResult = createUnionType({
  name: 'MaintenanceOrderResult',
  types: () => [MaintenanceOrder, NotFound, InvalidInput, InvalidTransition, DuplicateKey] as const,
});
