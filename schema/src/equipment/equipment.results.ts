import { createUnionType, Extensions, Field, ObjectType } from 'type-graphql';
import { ANY_CALLER } from '../auth/access.js';
import { DuplicateKey, ErrorCode, ErrorResult, InvalidInput, InvalidPropertyValue, NotFound, UnknownReference } from '../common/errors.js';
import { Equipment } from './equipment.entity.js';
import { EquipmentClass } from './equipment-class.entity.js';
import { EquipmentLevel } from './equipment-level.js';

@ObjectType({ implements: ErrorResult, description: 'The parent path names no equipment.' })
@Extensions({ allow: [ANY_CALLER] })
export class UnknownParent extends ErrorResult {
  @Field() parentPath!: string;
  constructor(parentPath: string) {
    super();
    Object.assign(this, { code: ErrorCode.UnknownParent, parentPath, message: `No equipment has the path "${parentPath}". Create the parent first or correct parentPath.` });
  }
}

@ObjectType({ implements: ErrorResult, description: 'Another equipment already has this path.' })
@Extensions({ allow: [ANY_CALLER] })
export class DuplicatePath extends ErrorResult {
  @Field() path!: string;
  constructor(path: string) {
    super();
    Object.assign(this, { code: ErrorCode.DuplicatePath, path, message: `Equipment "${path}" already exists. Choose another code.` });
  }
}

@ObjectType({ implements: ErrorResult, description: 'The new parent is the equipment itself or one of its descendants.' })
@Extensions({ allow: [ANY_CALLER] })
export class HierarchyCycle extends ErrorResult {
  @Field() path!: string;
  @Field() parentPath!: string;
  constructor(path: string, parentPath: string) {
    super();
    Object.assign(this, { code: ErrorCode.HierarchyCycle, path, parentPath, message: `"${parentPath}" lies under "${path}"; equipment cannot be moved under itself. Choose a parent outside its subtree.` });
  }
}

@ObjectType({ implements: ErrorResult, description: 'The level cannot sit directly under the parent level.' })
@Extensions({ allow: [ANY_CALLER] })
export class LevelNotAllowed extends ErrorResult {
  @Field(() => EquipmentLevel) level!: EquipmentLevel;
  @Field(() => EquipmentLevel, { nullable: true }) parentLevel!: EquipmentLevel | null;
  @Field(() => [EquipmentLevel]) allowedParentLevels!: EquipmentLevel[];
  constructor(level: EquipmentLevel, parentLevel: EquipmentLevel | null, allowed: readonly EquipmentLevel[]) {
    super();
    const where = parentLevel ? `under ${article(parentLevel)} ${parentLevel}` : 'without a parent';
    const fix = allowed.length ? `it must sit under: ${allowed.join(', ')}` : 'it must be a root (no parentPath)';
    Object.assign(this, { code: ErrorCode.LevelNotAllowed, level, parentLevel, allowedParentLevels: [...allowed], message: `${article(level, true)} ${level} cannot sit ${where}; ${fix}.` });
  }
}

const equipmentFailures = [UnknownParent, DuplicatePath, HierarchyCycle, LevelNotAllowed, InvalidPropertyValue, UnknownReference, InvalidInput, NotFound] as const;

export const CreateEquipmentResult = createUnionType({ name: 'CreateEquipmentResult', types: () => [Equipment, ...equipmentFailures] as const });
export const UpdateEquipmentResult = createUnionType({ name: 'UpdateEquipmentResult', types: () => [Equipment, ...equipmentFailures] as const });
export const SetEquipmentStateResult = createUnionType({ name: 'SetEquipmentStateResult', types: () => [Equipment, NotFound, InvalidInput] as const });
export const EquipmentClassResult = createUnionType({ name: 'EquipmentClassResult', types: () => [EquipmentClass, DuplicateKey, InvalidInput, NotFound] as const });

function article(word: string, capital = false): string {
  const a = /^[AEIOU]/.test(word) ? 'an' : 'a';
  return capital ? a[0]!.toUpperCase() + a.slice(1) : a;
}
