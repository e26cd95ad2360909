import { createUnionType, Extensions, Field, ObjectType } from 'type-graphql';
import { ANY_CALLER } from '../auth/access.js';
import {
  DuplicateKey,
  ErrorResult,
  InvalidInput,
  InvalidPropertyValue,
  NotFound,
  UnknownReference,
} from '../common/errors.js';
import { Equipment } from './equipment.entity.js';
import { EquipmentClass } from './equipment-class.entity.js';
import { EquipmentConditionRecord } from './equipment-condition-record.entity.js';
import { EquipmentLevel } from './equipment-level.js';

@ObjectType({ implements: ErrorResult, description: 'The parent path names no equipment.' })
@Extensions({ allow: [ANY_CALLER] })
export class UnknownParent extends ErrorResult {
  @Field() parentPath!: string;
}

@ObjectType({ implements: ErrorResult, description: 'Another equipment already has this path.' })
@Extensions({ allow: [ANY_CALLER] })
export class DuplicatePath extends ErrorResult {
  @Field() path!: string;
}

@ObjectType({
  implements: ErrorResult,
  description: 'The new parent is the equipment itself or one of its descendants.',
})
@Extensions({ allow: [ANY_CALLER] })
export class HierarchyCycle extends ErrorResult {
  @Field() path!: string;
  @Field() parentPath!: string;
}

@ObjectType({ implements: ErrorResult, description: 'The level cannot sit directly under the parent level.' })
@Extensions({ allow: [ANY_CALLER] })
export class LevelNotAllowed extends ErrorResult {
  @Field(() => EquipmentLevel) level!: EquipmentLevel;
  @Field(() => EquipmentLevel, { nullable: true }) parentLevel!: EquipmentLevel | null;
  @Field(() => [EquipmentLevel]) allowedParentLevels!: EquipmentLevel[];
}

const equipmentFailures = [
  UnknownParent,
  DuplicatePath,
  HierarchyCycle,
  LevelNotAllowed,
  InvalidPropertyValue,
  UnknownReference,
  InvalidInput,
  NotFound,
] as const;

export const CreateEquipmentResult = createUnionType({
  name: 'CreateEquipmentResult',
  types: () => [Equipment, ...equipmentFailures] as const,
});
export const UpdateEquipmentResult = createUnionType({
  name: 'UpdateEquipmentResult',
  types: () => [Equipment, ...equipmentFailures] as const,
});
export const SetEquipmentStateResult = createUnionType({
  name: 'SetEquipmentStateResult',
  types: () => [Equipment, NotFound, InvalidInput] as const,
});
export const EquipmentClassResult = createUnionType({
  name: 'EquipmentClassResult',
  types: () => [EquipmentClass, DuplicateKey, InvalidInput, NotFound] as const,
});
export const EquipmentConditionResult = createUnionType({
  name: 'EquipmentConditionResult',
  types: () => [EquipmentConditionRecord, NotFound, InvalidInput] as const,
});
