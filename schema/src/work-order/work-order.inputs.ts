import { Field, Int, InputType } from 'type-graphql';
import { DeviationKind, DeviationSeverity } from './execution.entities.js';
import { StepAssignment, WorkOrderState } from './work-order.entities.js';

@InputType({
  description: 'Creates the order in Draft. Its lifecycle (release, execution, review) has its own mutations.',
})
export class CreateWorkOrderInput {
  @Field() number!: string;
  @Field({ description: 'Code of the product definition.' }) productDefinition!: string;
  @Field(() => Int, { nullable: true, description: 'Version to make by; defaults to the Active one.' }) version?:
    | number
    | null;
  @Field() quantity!: number;
  @Field({ description: 'Path of the equipment (line, work center …) that will run the order.' }) equipment!: string;
  @Field(() => Date, { nullable: true }) plannedStart?: Date | null;
  @Field(() => Date, { nullable: true }) plannedEnd?: Date | null;
  @Field(() => Int, {
    nullable: true,
    description: 'A campaign: this many sequential batches on the same unit, each its own lot, cleaned between.',
  })
  campaignBatches?: number | null;
}

@InputType({
  description:
    'Creates the Draft order of an external order, or brings a Draft made from it up to date; idempotent by `externalReference`.',
})
export class ImportWorkOrderInput extends CreateWorkOrderInput {
  @Field({ description: 'Key of the order in its system, e.g. `sap-s4hana:1000123`.' }) externalReference!: string;
  @Field(() => String, {
    nullable: true,
    description: "The quantity's unit; refused when it is not the product's unit.",
  })
  unitOfMeasure?: string | null;
}

@InputType()
export class WorkOrderFilter {
  @Field(() => [WorkOrderState], { nullable: true }) state?: WorkOrderState[];
  @Field(() => String, { nullable: true, description: 'Orders running on this equipment or under it.' })
  equipmentPrefix?: string | null;
  @Field(() => String, { nullable: true, description: 'Code of the product definition.' }) productDefinition?:
    | string
    | null;
}

@InputType({ description: 'A lot chosen for a material whose selection rule is SpecificLot.' })
export class LotChoiceInput {
  @Field() segment!: string;
  @Field({ description: 'Code of the material definition.' }) materialDefinition!: string;
  @Field() lotNumber!: string;
}

@InputType({
  description: 'Releases a Draft order: snapshots the master record, checks people and equipment, reserves material.',
})
export class ReleaseWorkOrderInput {
  @Field() number!: string;
  @Field(() => [StepAssignment], { description: 'One per segment of the master record.' })
  assignments!: StepAssignment[];
  @Field(() => [LotChoiceInput], { defaultValue: [] }) lots!: LotChoiceInput[];
}

@InputType()
export class WorkOrderTransitionInput {
  @Field() number!: string;
  @Field(() => String, { nullable: true, description: 'Required to pause and to cancel.' }) reason?: string | null;
}

@InputType({
  description:
    'A nonconformance a person found: on an order (optionally one of its steps), on a lot, or on both. An order must be released and its record still open.',
})
export class RaiseDeviationInput {
  @Field(() => DeviationKind, { description: 'Material, Equipment, Procedure, Environment or Other.' })
  kind!: DeviationKind;
  @Field(() => DeviationSeverity) severity!: DeviationSeverity;
  @Field({ description: 'What was found, where and how much.' }) description!: string;
  @Field(() => String, { nullable: true, description: 'Number of the order.' }) workOrder?: string | null;
  @Field(() => String, { nullable: true, description: 'Code of the step (segment) of that order.' }) segment?:
    | string
    | null;
  @Field(() => String, { nullable: true, description: 'Number of the lot.' }) lot?: string | null;
}

@InputType({ description: 'Links the CAPA a deviation is handled under; relinking needs a reason.' })
export class DeviationCapaInput {
  @Field() id!: string;
  @Field({ description: 'Key of the CAPA in the quality system, e.g. `CAPA-2026-014`.' }) reference!: string;
  @Field(() => String, { nullable: true }) reason?: string | null;
}

@InputType({
  description:
    "What the quality system (QMS) holds of a deviation: its nonconformance record's reference and status and, once the QMS closed it, when and how. Shown on the deviation; the deviation's own closure stays a signed act in the hub.",
})
export class RecordDeviationQmsStatusInput {
  @Field() id!: string;
  @Field({ description: 'Key of the nonconformance record in the QMS, e.g. `NC-2026-0042`.' }) reference!: string;
  @Field({ description: 'Its status as the QMS names it, e.g. `Open`, `Investigation`, `Closed`.' }) status!: string;
  @Field(() => Date, { nullable: true, description: 'When the QMS closed it; null while it is open.' })
  closedAt?: Date | null;
  @Field(() => String, { nullable: true, description: "The QMS's closure: disposition, root cause, actions." })
  closure?: string | null;
}

@InputType({ description: "Records that the deviation's CAPA was closed." })
export class CloseDeviationCapaInput {
  @Field() id!: string;
  @Field({ description: 'How it was closed: the actions taken and their effectiveness check.' }) closure!: string;
}
