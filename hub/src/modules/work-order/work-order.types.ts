import { RESUME_CURSOR } from '../shared/resume-cursor.js';
import {
  Connection,
  Deviation,
  InvalidInput,
  InvalidTransition,
  MaterialLot,
  NotFound,
  Permission,
  StepRecord,
  WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import { createUnionType, Extensions, Field, Int, ObjectType } from 'type-graphql';

export const StepResult = createUnionType({
  name: 'StepResult',
  types: () => [StepRecord, NotFound, InvalidInput, InvalidTransition] as const,
});
export const DeviationResult = createUnionType({
  name: 'DeviationResult',
  types: () => [Deviation, NotFound, InvalidInput] as const,
});

@ObjectType({ description: 'A lot linked to another through production: what went in, or what it went into.' })
@Extensions({ allow: [Permission.Read] })
export class GenealogyLink {
  @Field({ description: "The linked lot's number; always given, also for lots outside your scopes (for recalls)." })
  lotNumber!: string;
  @Field(() => MaterialLot, { nullable: true, description: 'The linked lot; null when it lies outside your scopes.' })
  lot!: MaterialLot | null;
  @Field({ description: 'The lot on the other side of this link.' }) via!: string;
  @Field() quantity!: number;
  @Field(() => Int, { description: '1 for direct links, 2 for links of links, …' }) depth!: number;
}

/** A change of a work order, as delivered to subscribers. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
export class WorkOrderEvent {
  @Field({ description: 'Past tense: WorkOrderReleased, WorkOrderPaused, …' }) type!: string;
  @Field() number!: string;
  @Field(() => WorkOrderState) state!: WorkOrderState;
  @Field(() => WorkOrderState, { nullable: true }) previousState!: WorkOrderState | null;
  @Field({ description: 'Path of the equipment running the order.' }) path!: string;
  @Field() at!: Date;
  @Field() actor!: string;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => String, { nullable: true, description: RESUME_CURSOR }) cursor!: string | null;
}
export const WorkOrderConnection = Connection(WorkOrder);
