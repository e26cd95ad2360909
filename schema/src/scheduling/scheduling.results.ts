import { createUnionType, Extensions, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ANY_CALLER, Permission } from '../auth/access.js';
import { ErrorResult, InvalidInput, InvalidTransition, NotFound } from '../common/errors.js';
import {
  ChangeoverRule,
  PlannedDowntime,
  ProductSchedulingProfile,
  RequiredCleaning,
  ScheduleEntry,
} from './scheduling.entities.js';

export enum ScheduleProblemKind {
  /** Another entry holds the unit (or its line, or a unit of it) at that time. */
  UnitOverlap = 'UnitOverlap',
  /** The entry starts or runs where the shift calendar has no shift. */
  OutsideWorkingTime = 'OutsideWorkingTime',
  /** The entry starts in a planned break. */
  DuringBreak = 'DuringBreak',
  /** A maintenance or calibration record, or planned downtime, holds the unit then. */
  EquipmentDowntime = 'EquipmentDowntime',
  /**
   * An open maintenance order (preventive, corrective, calibration) holds the unit then: its planned
   * window, or its hold on the equipment until signed off (the subject is the maintenance order).
   */
  MaintenanceWindow = 'MaintenanceWindow',
  /** Not enough usable material on hand by the start (lots less open reservations and earlier orders). */
  MaterialShort = 'MaterialShort',
  /** Fewer current-qualified operators than the orders of a shift need. */
  OperatorsShort = 'OperatorsShort',
  /** Less time after the predecessor than the changeover matrix asks for. */
  ChangeoverTime = 'ChangeoverTime',
  /** The cleaning the changeover matrix asks for is not scheduled between the orders. */
  ChangeoverRuleBroken = 'ChangeoverRuleBroken',
}
registerEnumType(ScheduleProblemKind, { name: 'ScheduleProblemKind' });

@ObjectType({ description: 'One constraint an entry of the schedule breaks.' })
@Extensions({ allow: [ANY_CALLER] })
export class ScheduleProblem {
  @Field(() => ScheduleProblemKind) kind!: ScheduleProblemKind;
  @Field(() => String, { nullable: true, description: 'The order it concerns.' }) orderNumber!: string | null;
  @Field({ description: 'The unit, material, qualification, shift or rule at fault.' }) subject!: string;
  @Field() message!: string;
}

@ObjectType({ implements: ErrorResult, description: 'Scheduling constraints failed; nothing was changed.' })
@Extensions({ allow: [ANY_CALLER] })
export class ScheduleBlocked extends ErrorResult {
  @Field(() => [ScheduleProblem]) problems!: ScheduleProblem[];
}

@ObjectType({ description: 'Orders placed together.' })
@Extensions({ allow: [Permission.Read] })
export class ScheduledOrders {
  @Field(() => [ScheduleEntry]) entries!: ScheduleEntry[];
}

@ObjectType({ description: 'A changeover between two consecutive entries, as the matrix rules it.' })
@Extensions({ allow: [Permission.Read] })
export class Changeover {
  @Field(() => String, { nullable: true }) fromOrder!: string | null;
  @Field(() => String, { nullable: true }) fromProduct!: string | null;
  @Field(() => Int) minutes!: number;
  @Field(() => RequiredCleaning) requiredCleaning!: RequiredCleaning;
  @Field(() => [String], { description: 'Names of the matching rules.' }) rules!: string[];
  @Field({ description: 'Whether the cleaning asked for is scheduled between them.' }) cleaningScheduled!: boolean;
}

@ObjectType({ description: "The sequencer's proposal for a backlog, beside the order-of-arrival schedule." })
@Extensions({ allow: [Permission.Read] })
export class SequenceProposal {
  @Field(() => [String], { description: 'Order numbers in the proposed sequence.' }) sequence!: string[];
  @Field(() => [ScheduleEntry], { description: 'The entries (sanitations included), scheduled if `apply`.' })
  entries!: ScheduleEntry[];
  @Field(() => Int) changeoverMinutes!: number;
  @Field(() => Int) latenessMinutes!: number;
  @Field(() => Int, { description: 'Changeover minutes of the order-of-arrival sequence.' })
  arrivalChangeoverMinutes!: number;
  @Field(() => Int, { description: 'Lateness minutes of the order-of-arrival sequence.' })
  arrivalLatenessMinutes!: number;
  @Field({ description: 'Whether the entries were scheduled.' }) applied!: boolean;
}

export enum DispatchReadiness {
  Ready = 'Ready',
  Blocked = 'Blocked',
  Running = 'Running',
}
registerEnumType(DispatchReadiness, { name: 'DispatchReadiness' });

@ObjectType({
  description: 'An entry of the schedule with its state, its changeover and every constraint it breaks now.',
})
@Extensions({ allow: [Permission.Read] })
export class ScheduleSlot {
  @Field(() => ScheduleEntry) entry!: ScheduleEntry;
  @Field(() => String, { nullable: true, description: "The order's state; null for a cleaning." }) state!:
    | string
    | null;
  @Field(() => Changeover, { nullable: true, description: 'The changeover into it; null for a cleaning.' })
  changeover!: Changeover | null;
  @Field(() => DispatchReadiness) readiness!: DispatchReadiness;
  @Field(() => [ScheduleProblem], { description: 'Every conflict named; empty when it is ready.' })
  problems!: ScheduleProblem[];
}

export const ScheduleResult = createUnionType({
  name: 'ScheduleResult',
  types: () => [ScheduleEntry, NotFound, InvalidInput, InvalidTransition, ScheduleBlocked] as const,
});
export const ScheduleManyResult = createUnionType({
  name: 'ScheduleManyResult',
  types: () => [ScheduledOrders, NotFound, InvalidInput, InvalidTransition, ScheduleBlocked] as const,
});
export const SequenceResult = createUnionType({
  name: 'SequenceResult',
  types: () => [SequenceProposal, NotFound, InvalidInput, ScheduleBlocked] as const,
});
export const SchedulingSetupResult = createUnionType({
  name: 'SchedulingSetupResult',
  types: () => [ScheduleEntry, NotFound, InvalidInput, ScheduleBlocked] as const,
});
export const ChangeoverRuleResult = createUnionType({
  name: 'ChangeoverRuleResult',
  types: () => [ChangeoverRule, InvalidInput] as const,
});
export const ProductSchedulingProfileResult = createUnionType({
  name: 'ProductSchedulingProfileResult',
  types: () => [ProductSchedulingProfile, NotFound, InvalidInput] as const,
});
export const PlannedDowntimeResult = createUnionType({
  name: 'PlannedDowntimeResult',
  types: () => [PlannedDowntime, NotFound, InvalidInput] as const,
});
