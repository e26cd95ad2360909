import { Field, InputType } from 'type-graphql';
import { PropertyDefinition, PropertyValue } from '../common/properties.js';
import { EquipmentLevel } from './equipment-level.js';
import { EquipmentCondition } from './equipment-condition.js';
import { EquipmentState } from './equipment-state.js';

@InputType()
export class CreateEquipmentClassInput {
  @Field() code!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [PropertyDefinition], { defaultValue: [] }) properties!: PropertyDefinition[];
  @Field(() => Number, { nullable: true }) idealCycleTimeSeconds?: number | null;
}

@InputType({ description: 'Fields left out are kept. Removing a property that members use is refused.' })
export class UpdateEquipmentClassInput {
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [PropertyDefinition], { nullable: true }) properties?: PropertyDefinition[];
  @Field(() => Number, { nullable: true }) idealCycleTimeSeconds?: number | null;
}

@InputType()
export class CreateEquipmentInput {
  @Field(() => String, { nullable: true, description: 'Path of the parent; omit only for an Enterprise.' })
  parentPath?: string | null;
  @Field({ description: 'The new path segment: letters, digits, `-` and `_`, at most 64.' }) code!: string;
  @Field() name!: string;
  @Field(() => EquipmentLevel) level!: EquipmentLevel;
  @Field(() => String, { nullable: true, description: 'Code of the equipment class.' }) equipmentClass?: string | null;
  @Field(() => [PropertyValue], { defaultValue: [] }) properties!: PropertyValue[];
}

@InputType({
  description: 'Fields left out are kept. Moving (a new parent) or renaming (a new code) re-paths the whole subtree.',
})
export class UpdateEquipmentInput {
  @Field(() => String, { nullable: true }) parentPath?: string | null;
  @Field(() => String, { nullable: true }) code?: string | null;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true, description: 'Code of the equipment class; empty string clears it.' })
  equipmentClass?: string | null;
  @Field(() => [PropertyValue], { nullable: true }) properties?: PropertyValue[];
}

@InputType()
export class SetEquipmentStateInput {
  @Field() path!: string;
  @Field(() => EquipmentState) state!: EquipmentState;
  @Field(() => String, { nullable: true, description: 'Required when Down: the downtime reason code.' }) reason?:
    | string
    | null;
}

@InputType({
  description:
    'Opens a maintenance or calibration record holding the equipment in a condition until it is cleared; with an `externalReference` already recorded, updates that record instead (a connector re-sending it changes nothing).',
})
export class RecordEquipmentConditionInput {
  @Field() path!: string;
  @Field(() => EquipmentCondition, { description: 'Any condition but Available (clear the record for that).' })
  condition!: EquipmentCondition;
  @Field({ description: 'Why: the maintenance or calibration it is about.' }) reason!: string;
  @Field(() => Date, {
    nullable: true,
    description:
      'When the calibration (or maintenance) falls due. A CalibrationDue record without it is due at once, so it holds CalibrationOverdue.',
  })
  dueAt?: Date | null;
  @Field(() => String, {
    nullable: true,
    description: 'Key of the record in the system it comes from (e.g. a CMMS work order `maintainx:4711`).',
  })
  externalReference?: string | null;
}

@InputType({ description: 'Clears a maintenance or calibration record, by its id or its external reference.' })
export class ClearEquipmentConditionInput {
  @Field(() => String, { nullable: true }) id?: string | null;
  @Field(() => String, { nullable: true }) externalReference?: string | null;
  @Field({ description: 'What was done: the maintenance carried out, the calibration certificate.' })
  clearance!: string;
}

@InputType()
export class EquipmentFilter {
  @Field(() => String, { nullable: true, description: 'Only this equipment and everything under it.' }) pathPrefix?:
    | string
    | null;
  @Field(() => [EquipmentLevel], { nullable: true }) level?: EquipmentLevel[];
  @Field(() => String, { nullable: true, description: 'Code of the equipment class.' }) equipmentClass?: string | null;
  @Field(() => [EquipmentState], { nullable: true }) state?: EquipmentState[];
}
