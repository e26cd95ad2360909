import { Field, InputType } from 'type-graphql';
import { PropertyDefinition, PropertyValue } from '../common/properties.js';
import { MaterialLotStatus } from './material.entities.js';

@InputType()
export class CreateMaterialClassInput {
  @Field() code!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [PropertyDefinition], { defaultValue: [] }) properties!: PropertyDefinition[];
}

@InputType()
export class UpdateMaterialClassInput {
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [PropertyDefinition], { nullable: true }) properties?: PropertyDefinition[];
}

@InputType()
export class CreateMaterialDefinitionInput {
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true, description: 'Code of the material class.' }) materialClass?: string | null;
  @Field({ description: 'Unit of measure, e.g. `kg`, `pcs`, `m`.' }) unitOfMeasure!: string;
  @Field(() => [PropertyValue], { defaultValue: [] }) properties!: PropertyValue[];
}

@InputType()
export class UpdateMaterialDefinitionInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) materialClass?: string | null;
  @Field(() => [PropertyValue], { nullable: true }) properties?: PropertyValue[];
}

@InputType()
export class CreateMaterialLotInput {
  @Field() lotNumber!: string;
  @Field({ description: 'Code of the material definition.' }) materialDefinition!: string;
  @Field() quantity!: number;
  @Field(() => String, { nullable: true, description: "Defaults to the definition's unit; another unit is refused." })
  unitOfMeasure?: string | null;
  @Field(() => MaterialLotStatus, { defaultValue: MaterialLotStatus.Quarantine }) status!: MaterialLotStatus;
  @Field(() => Date, { nullable: true }) expiresAt?: Date | null;
  @Field(() => String, { nullable: true, description: 'Path of the equipment (storage zone/unit) holding the lot.' })
  location?: string | null;
  @Field(() => [PropertyValue], { defaultValue: [] }) properties!: PropertyValue[];
}

@InputType({
  description:
    'Fields left out are kept. A new status or quantity needs a `reason` (kept in the audit trail); a lot an order produced takes its status from the order only.',
})
export class UpdateMaterialLotInput {
  @Field(() => Number, { nullable: true }) quantity?: number | null;
  @Field(() => MaterialLotStatus, { nullable: true, description: 'The disposition; needs QualityApproval.' })
  status?: MaterialLotStatus | null;
  @Field(() => String, { nullable: true, description: 'Why; required for a new status or quantity.' })
  reason?: string | null;
  @Field(() => Date, { nullable: true }) expiresAt?: Date | null;
  @Field(() => String, { nullable: true }) location?: string | null;
  @Field(() => [PropertyValue], { nullable: true }) properties?: PropertyValue[];
}

@InputType()
export class CreateMaterialSublotInput {
  @Field() sublotNumber!: string;
  @Field({ description: 'Lot number of the parent lot.' }) lot!: string;
  @Field() quantity!: number;
  @Field(() => MaterialLotStatus, { nullable: true, description: "Defaults to the lot's status." })
  status?: MaterialLotStatus | null;
  @Field(() => String, { nullable: true }) location?: string | null;
}

@InputType()
export class MaterialLotFilter {
  @Field(() => String, { nullable: true, description: 'Code of the material definition.' }) materialDefinition?:
    | string
    | null;
  @Field(() => [MaterialLotStatus], { nullable: true }) status?: MaterialLotStatus[];
  @Field(() => String, { nullable: true, description: 'Lots stored at this equipment or under it.' }) locationPrefix?:
    | string
    | null;
  @Field(() => Date, { nullable: true, description: 'Only lots expiring before this time.' })
  expiresBefore?: Date | null;
}

@InputType()
export class MaterialDefinitionFilter {
  @Field(() => String, { nullable: true, description: 'Code of the material class.' }) materialClass?: string | null;
  @Field(() => String, { nullable: true, description: 'Codes starting with this text.' }) codePrefix?: string | null;
}
