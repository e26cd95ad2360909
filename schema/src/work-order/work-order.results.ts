import { createUnionType, Extensions, Field, ObjectType, registerEnumType } from 'type-graphql';
import { ANY_CALLER } from '../auth/access.js';
import {
  DuplicateKey,
  ErrorResult,
  InvalidInput,
  InvalidTransition,
  NotFound,
  UnknownReference,
} from '../common/errors.js';
import { WorkOrder } from './work-order.entities.js';

export enum ReleaseProblemKind {
  MissingAssignment = 'MissingAssignment',
  UnknownEquipment = 'UnknownEquipment',
  WrongEquipmentClass = 'WrongEquipmentClass',
  EquipmentUnavailable = 'EquipmentUnavailable',
  /** The equipment lies outside the order's line, and the master record does not name it for the step. */
  EquipmentOutsideLine = 'EquipmentOutsideLine',
  /** The equipment is assigned to another released or running order in an overlapping time. */
  EquipmentDoubleBooked = 'EquipmentDoubleBooked',
  UnknownOperator = 'UnknownOperator',
  NotQualified = 'NotQualified',
  MaterialShort = 'MaterialShort',
  LotExpired = 'LotExpired',
  LotNotReleased = 'LotNotReleased',
  MasterRecordNotCurrent = 'MasterRecordNotCurrent',
  /** The changeover matrix asks for a cleaning after the order's predecessor on the unit that is not scheduled. */
  ChangeoverRuleBroken = 'ChangeoverRuleBroken',
}
registerEnumType(ReleaseProblemKind, { name: 'ReleaseProblemKind' });

@ObjectType({ description: 'One reason an order cannot be released.' })
@Extensions({ allow: [ANY_CALLER] })
export class ReleaseProblem {
  @Field(() => ReleaseProblemKind) kind!: ReleaseProblemKind;
  @Field(() => String, { nullable: true, description: 'The segment it concerns.' }) segment!: string | null;
  @Field({ description: 'The equipment path, employee id, material or lot at fault.' }) subject!: string;
  @Field() message!: string;
}

@ObjectType({ implements: ErrorResult, description: 'Release checks failed; nothing was reserved or changed.' })
@Extensions({ allow: [ANY_CALLER] })
export class ReleaseBlocked extends ErrorResult {
  @Field(() => [ReleaseProblem]) problems!: ReleaseProblem[];
}

export enum WorkOrderImportOutcome {
  Created = 'Created',
  Updated = 'Updated',
  Unchanged = 'Unchanged',
  /** The order is no longer a Draft: nothing was changed. */
  Conflict = 'Conflict',
}
registerEnumType(WorkOrderImportOutcome, { name: 'WorkOrderImportOutcome' });

@ObjectType({ description: 'What an import did with the order.' })
@Extensions({ allow: [ANY_CALLER] })
export class WorkOrderImport {
  @Field(() => WorkOrderImportOutcome) outcome!: WorkOrderImportOutcome;
  @Field() message!: string;
  @Field(() => WorkOrder) workOrder!: WorkOrder;
}

export const ImportWorkOrderResult = createUnionType({
  name: 'ImportWorkOrderResult',
  types: () => [WorkOrderImport, DuplicateKey, UnknownReference, InvalidInput] as const,
});

export const CreateWorkOrderResult = createUnionType({
  name: 'CreateWorkOrderResult',
  types: () => [WorkOrder, DuplicateKey, UnknownReference, InvalidInput] as const,
});
export const WorkOrderTransitionResult = createUnionType({
  name: 'WorkOrderTransitionResult',
  types: () => [WorkOrder, NotFound, InvalidTransition, ReleaseBlocked, InvalidInput] as const,
});
