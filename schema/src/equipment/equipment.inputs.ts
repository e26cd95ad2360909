import { Field, InputType } from 'type-graphql';
import { PropertyDefinition, PropertyValue } from '../common/properties.js';
import { EquipmentLevel } from './equipment-level.js';
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

@InputType()
export class EquipmentFilter {
  @Field(() => String, { nullable: true, description: 'Only this equipment and everything under it.' }) pathPrefix?:
    | string
    | null;
  @Field(() => [EquipmentLevel], { nullable: true }) level?: EquipmentLevel[];
  @Field(() => String, { nullable: true, description: 'Code of the equipment class.' }) equipmentClass?: string | null;
  @Field(() => [EquipmentState], { nullable: true }) state?: EquipmentState[];
}
