import { Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Identified } from '../common/identified.js';
import { MaterialDefinition } from '../material/material.entities.js';
import { ProductSegment } from './product-segment.js';

/** Where a version of the master record is in its review and release cycle. */
export enum ProductDefinitionVersionState {
  Draft = 'Draft',
  ForReview = 'ForReview',
  Approved = 'Approved',
  Active = 'Active',
  Deprecated = 'Deprecated',
}
registerEnumType(ProductDefinitionVersionState, { name: 'ProductDefinitionVersionState' });

const S = ProductDefinitionVersionState;
/** The version state machine. Content can change only in Draft; Active is at most one version. */
export const PRODUCT_DEFINITION_TRANSITIONS: Readonly<
  Record<ProductDefinitionVersionState, readonly ProductDefinitionVersionState[]>
> = {
  [S.Draft]: [S.ForReview],
  [S.ForReview]: [S.Draft, S.Approved],
  [S.Approved]: [S.Active, S.Deprecated],
  [S.Active]: [S.Deprecated],
  [S.Deprecated]: [],
};

/** The acceptable yield of an order, in percent of its planned quantity (e.g. 95–102). */
@ObjectType({
  description: 'The acceptable yield in percent of the planned quantity; outside it, completion opens a deviation.',
})
@InputType('YieldBracketInput')
@Extensions({ allow: [Permission.Read] })
export class YieldBracket {
  @Field() minPercent!: number;
  @Field() maxPercent!: number;
}

/** The master manufacturing record of a product: what is made, kept as a series of versions. */
@ObjectType()
@Entity()
@Extensions({ allow: [Permission.Read] })
export class ProductDefinition extends Identified {
  @Field() @Property({ unique: true }) code!: string;
  @Field() @Property() name!: string;
  @ManyToOne(() => MaterialDefinition, { deleteRule: 'restrict' }) producedMaterial!: MaterialDefinition;
}

/** One version of a product definition: the segments (steps) with their requirements. */
@ObjectType()
@Entity()
@Unique({ properties: ['productDefinition', 'version'] })
@Index({ properties: ['state'] })
@Extensions({ allow: [Permission.Read] })
export class ProductDefinitionVersion extends Identified<'state' | 'segments' | 'stateChangedAt' | 'authors'> {
  @ManyToOne(() => ProductDefinition, { deleteRule: 'cascade' }) productDefinition!: ProductDefinition;
  @Field(() => Int) @Property() version!: number;
  @Field(() => ProductDefinitionVersionState)
  @Enum({ items: () => ProductDefinitionVersionState })
  state: ProductDefinitionVersionState = ProductDefinitionVersionState.Draft;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) changeNote?: string | null;
  @Field(() => [ProductSegment]) @Property({ type: 'json' }) segments: ProductSegment[] = [];
  @Field(() => YieldBracket, { nullable: true, description: 'Checked when an order made by this version completes.' })
  @Property({ type: 'json', nullable: true })
  yieldBracket?: YieldBracket | null;
  @Field({ description: 'When the version entered its current state.' })
  @Property({ type: 'timestamptz' })
  stateChangedAt: Date = new Date();
  @Field(() => [String], {
    description:
      'Who wrote this version: everyone who created, changed or submitted its content (as `user:<employee id>`, `api-key:<name>` …). None of them may review or approve it.',
  })
  @Property({ type: 'json' })
  authors: string[] = [];
}
