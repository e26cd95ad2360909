import { Extensions, Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';

/** Whether a segment uses up or brings forth a material. */
export enum MaterialUse {
  Consumed = 'Consumed',
  Produced = 'Produced',
}
registerEnumType(MaterialUse, { name: 'MaterialUse' });

/** How lots are picked for a consumed material when an order is released. */
export enum LotSelection {
  FEFO = 'FEFO',
  FIFO = 'FIFO',
  SpecificLot = 'SpecificLot',
}
registerEnumType(LotSelection, { name: 'LotSelection' });

@ObjectType({ description: 'A material a segment consumes or produces, per unit of the order quantity.' })
@InputType('MaterialSpecificationInput')
@Extensions({ allow: [Permission.Read] })
export class MaterialSpecification {
  @Field({ description: 'Code of the material definition.' }) materialDefinition!: string;
  @Field(() => MaterialUse) use!: MaterialUse;
  @Field() quantity!: number;
  @Field() unitOfMeasure!: string;
  @Field(() => LotSelection, { defaultValue: LotSelection.FEFO }) lotSelection!: LotSelection;
}

@ObjectType({ description: 'A process parameter with its target and the tolerance band around it.' })
@InputType('ParameterSpecificationInput')
@Extensions({ allow: [Permission.Read] })
export class ParameterSpecification {
  @Field() name!: string;
  @Field() target!: number;
  @Field({ description: 'Lowest acceptable value.' }) lowerLimit!: number;
  @Field({ description: 'Highest acceptable value.' }) upperLimit!: number;
  @Field(() => String, { nullable: true }) unitOfMeasure?: string | null;
}

/** A step of the master record (an ISA-95 product segment), stored inside its version. */
@ObjectType({
  description: 'A step of the master record with what it needs: materials, parameters, equipment class, qualification.',
})
@InputType('ProductSegmentInput')
@Extensions({ allow: [Permission.Read] })
export class ProductSegment {
  @Field({ description: 'Unique within the version, e.g. `10-mix`.' }) code!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true, description: 'Work instruction document and revision, e.g. `WI-104 rev C`.' })
  workInstruction?: string | null;
  @Field(() => String, { nullable: true, description: 'Code of the equipment class the step must run on.' })
  equipmentClass?: string | null;
  @Field(() => String, { nullable: true, description: 'Qualification code the operator must currently hold.' })
  qualification?: string | null;
  @Field(() => [String], {
    nullable: true,
    description:
      "Paths of equipment outside the order's line that this step may nonetheless run on (e.g. a shared tester); any other assignment must lie within the line.",
  })
  outsideEquipment?: string[] | null;
  @Field({ defaultValue: false, description: 'Critical steps need a second person to verify.' }) critical!: boolean;
  @Field(() => Int, { nullable: true }) durationMinutes?: number | null;
  @Field(() => [MaterialSpecification], { defaultValue: [] }) materials!: MaterialSpecification[];
  @Field(() => [ParameterSpecification], { defaultValue: [] }) parameters!: ParameterSpecification[];
}
