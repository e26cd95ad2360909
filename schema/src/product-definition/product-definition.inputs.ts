import { Field, ID, InputType } from 'type-graphql';
import { ProductDefinitionVersionState, YieldBracket } from './product-definition.entities.js';
import { ProductSegment } from './product-segment.js';
import { SignatureInput } from '../work-order/execution.entities.js';

@InputType({ description: 'Creates the definition with version 1 in Draft.' })
export class CreateProductDefinitionInput {
  @Field() code!: string;
  @Field() name!: string;
  @Field({ description: 'Code of the material definition the product is.' }) producedMaterial!: string;
  @Field(() => [ProductSegment], { defaultValue: [] }) segments!: ProductSegment[];
  @Field(() => String, { nullable: true }) changeNote?: string | null;
  @Field(() => YieldBracket, { nullable: true, description: 'Acceptable yield in % of the planned quantity.' })
  yieldBracket?: YieldBracket | null;
}

@InputType({
  description: 'Starts a new Draft version, copying the segments and yield bracket of the latest version unless given.',
})
export class CreateProductDefinitionVersionInput {
  @Field({ description: 'Code of the product definition.' }) productDefinition!: string;
  @Field(() => [ProductSegment], { nullable: true }) segments?: ProductSegment[];
  @Field(() => String, { nullable: true }) changeNote?: string | null;
  @Field(() => YieldBracket, { nullable: true, description: 'Acceptable yield in % of the planned quantity.' })
  yieldBracket?: YieldBracket | null;
}

@InputType({ description: 'Only a Draft version can change.' })
export class UpdateProductDefinitionVersionInput {
  @Field(() => ID) id!: string;
  @Field(() => [ProductSegment], { nullable: true }) segments?: ProductSegment[];
  @Field(() => String, { nullable: true }) changeNote?: string | null;
  @Field(() => YieldBracket, { nullable: true, description: 'Acceptable yield in % of the planned quantity.' })
  yieldBracket?: YieldBracket | null;
}

@InputType({
  description:
    'Moves a version through Draft → ForReview → Approved → Active → Deprecated. Approving needs a review (`reviewProductDefinitionVersion`) and the Approval signature of the quality unit, by someone who neither wrote nor reviewed it. Activating deprecates the previously active version.',
})
export class TransitionProductDefinitionVersionInput {
  @Field(() => ID) id!: string;
  @Field(() => ProductDefinitionVersionState) state!: ProductDefinitionVersionState;
  @Field(() => SignatureInput, {
    nullable: true,
    description: 'Required to approve: the Approval signature of a quality approver who is not an author or reviewer.',
  })
  signature?: SignatureInput | null;
}

@InputType()
export class ProductDefinitionFilter {
  @Field(() => String, { nullable: true, description: 'Codes starting with this text.' }) codePrefix?: string | null;
  @Field(() => String, { nullable: true, description: 'Code of the produced material definition.' }) producedMaterial?:
    | string
    | null;
}
