import { Field, InputType } from 'type-graphql';
import { PropertyDefinition } from '../common/properties.js';

@InputType()
export class CreatePersonnelClassInput {
  @Field() code!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [PropertyDefinition], { defaultValue: [] }) properties!: PropertyDefinition[];
}

@InputType({ description: 'Fields left out are kept.' })
export class UpdatePersonnelClassInput {
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [PropertyDefinition], { nullable: true }) properties?: PropertyDefinition[];
}

@InputType()
export class CreatePersonInput {
  @Field() employeeId!: string;
  @Field() name!: string;
  @Field(() => [String], { defaultValue: [], description: 'Codes of personnel classes.' }) personnelClasses!: string[];
  @Field(() => String, { nullable: true, description: 'Path of the equipment (site, area …) the person belongs to.' })
  homeEquipment?: string | null;
}

@InputType({ description: 'Fields left out are kept.' })
export class UpdatePersonInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => [String], { nullable: true }) personnelClasses?: string[];
  @Field(() => String, { nullable: true }) homeEquipment?: string | null;
  @Field(() => Boolean, { nullable: true }) active?: boolean | null;
}

@InputType({ description: 'Records training; recording the same code again replaces the earlier record.' })
export class RecordQualificationInput {
  @Field() employeeId!: string;
  @Field() code!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field() trainedAt!: Date;
  @Field(() => Date, { nullable: true }) expiresAt?: Date | null;
}

@InputType()
export class PersonFilter {
  @Field(() => String, { nullable: true, description: 'Code of a personnel class the person holds.' }) personnelClass?:
    | string
    | null;
  @Field(() => String, { nullable: true, description: 'Only people holding this qualification, currently valid.' })
  qualifiedFor?: string | null;
  @Field(() => String, { nullable: true, description: 'People whose home equipment is at or under this path.' })
  homePrefix?: string | null;
  @Field(() => Boolean, { nullable: true }) active?: boolean | null;
}
