import { DecimalType } from '@mikro-orm/core';
import { Entity, ManyToOne, Property, Unique } from '@mikro-orm/decorators/legacy';
import { createUnionType, Extensions, Field, InputType, Int, ObjectType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { InvalidInput, NotFound } from '../common/errors.js';
import { Identified } from '../common/identified.js';
import { WorkOrder } from './work-order.entities.js';
import { SignatureInput } from './execution.entities.js';

/**
 * One batch of a campaign order: made after the one before on the same unit, with its own lot and
 * genealogy, and the cleaning done after it (which the next batch waits for).
 */
@ObjectType({ description: 'One batch of a campaign order: its lot, and the cleaning recorded after it.' })
@Extensions({ allow: [Permission.Read] })
@Entity()
@Unique({ properties: ['workOrder', 'sequence'] })
export class CampaignBatch extends Identified {
  @ManyToOne(() => WorkOrder, { deleteRule: 'cascade' }) workOrder!: WorkOrder;
  @Field(() => Int, { description: '1 for the first batch of the campaign.' }) @Property() sequence!: number;
  @Field({ description: 'The lot the batch produced.' }) @Property() lotNumber!: string;
  @Field() @Property({ type: new DecimalType('number'), precision: 18, scale: 6 }) quantity!: number;
  @Field() @Property() completedBy!: string;
  @Field() @Property({ type: 'timestamptz' }) completedAt!: Date;
  @Field(() => String, { nullable: true, description: 'The cleaning of the unit after this batch.' })
  @Property({ type: 'text', nullable: true })
  cleaning?: string | null;
  @Field(() => String, { nullable: true }) @Property({ nullable: true }) cleanedBy?: string | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) cleanedAt?: Date | null;
}

@InputType()
export class CompleteCampaignBatchInput {
  @Field() number!: string;
  @Field() lotNumber!: string;
  @Field() quantity!: number;
}

@InputType()
export class RecordCampaignCleaningInput {
  @Field() number!: string;
  @Field({ description: 'What was cleaned, how, and against which procedure.' }) cleaning!: string;
  @Field(() => SignatureInput, {
    nullable: true,
    description: 'Required: the signature (meaning Responsibility) of the person who cleaned the unit.',
  })
  signature?: SignatureInput | null;
}

@InputType()
export class SplitPartInput {
  @Field() lotNumber!: string;
  @Field() quantity!: number;
}

@InputType({
  description:
    "The batch in work split into downstream lots at the operator's current step: the batch's lot is made with its quantity, and the parts take all of it.",
})
export class SplitBatchInput {
  @Field() number!: string;
  @Field({ description: "The batch's lot, made at the split (the lot the order, or campaign batch, completes with)." })
  lotNumber!: string;
  @Field({ description: 'What the batch came to; the parts must sum to it.' }) quantity!: number;
  @Field(() => [SplitPartInput]) parts!: SplitPartInput[];
}

export const CampaignBatchResult = createUnionType({
  name: 'CampaignBatchResult',
  types: () => [CampaignBatch, NotFound, InvalidInput] as const,
});
