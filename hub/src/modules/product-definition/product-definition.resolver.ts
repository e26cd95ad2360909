import {
  CreateProductDefinitionInput,
  CreateProductDefinitionVersionInput,
  MaterialDefinition,
  ProductDefinition,
  ProductDefinitionFilter,
  ProductDefinitionResult,
  ProductDefinitionVersion,
  ProductDefinitionVersionResult,
  TransitionProductDefinitionVersionInput,
  UpdateProductDefinitionVersionInput,
  Permission,
  ElectronicSignature,
  SignatureInput,
} from '@plantgraph/schema';
import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { ProductDefinitionConnection } from './product-definition.types.js';
import { PageArgs } from '../../graphql/pagination.js';
import { activeVersionOf } from './product-definition.service.js';

@Resolver(() => ProductDefinition)
export class ProductDefinitionResolver {
  @Query(() => ProductDefinition, { nullable: true })
  @Allow(Permission.Read)
  productDefinition(@Arg('code') code: string, @Ctx() ctx: HubContext) {
    return ctx.services.productDefinition.get(ctx.em, code);
  }

  @Query(() => ProductDefinitionConnection, { description: 'Product definitions ordered by code.' })
  @Allow(Permission.Read)
  productDefinitions(
    @Arg('filter', () => ProductDefinitionFilter, { nullable: true }) filter: ProductDefinitionFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.productDefinition.list(ctx.em, filter, page);
  }

  @FieldResolver(() => MaterialDefinition)
  producedMaterial(@Root() d: ProductDefinition, @Ctx() ctx: HubContext) {
    return ctx.loaders.materialDefinition.load(d.producedMaterial.id);
  }

  @FieldResolver(() => [ProductDefinitionVersion], { description: 'All versions, oldest first.' })
  versions(@Root() d: ProductDefinition, @Ctx() ctx: HubContext) {
    return ctx.loaders.versionsOfProductDefinition.load(d.id);
  }

  @FieldResolver(() => ProductDefinitionVersion, {
    nullable: true,
    description: 'The version new work orders are made by.',
  })
  async activeVersion(@Root() d: ProductDefinition, @Ctx() ctx: HubContext) {
    return activeVersionOf(await ctx.loaders.versionsOfProductDefinition.load(d.id));
  }

  @Mutation(() => ProductDefinitionResult, { description: 'Creates a product definition with version 1 in Draft.' })
  @Allow(Permission.ManageMasterData)
  createProductDefinition(@Arg('input') input: CreateProductDefinitionInput, @Ctx() ctx: HubContext) {
    return ctx.services.productDefinition.create(ctx.principal, input);
  }

  @Mutation(() => ProductDefinitionVersionResult)
  @Allow(Permission.ManageMasterData)
  createProductDefinitionVersion(@Arg('input') input: CreateProductDefinitionVersionInput, @Ctx() ctx: HubContext) {
    return ctx.services.productDefinition.createVersion(ctx.principal, input);
  }

  @Mutation(() => ProductDefinitionVersionResult)
  @Allow(Permission.ManageMasterData)
  updateProductDefinitionVersion(@Arg('input') input: UpdateProductDefinitionVersionInput, @Ctx() ctx: HubContext) {
    return ctx.services.productDefinition.updateVersion(ctx.principal, input);
  }

  @Mutation(() => ProductDefinitionVersionResult, {
    description:
      'Moves a version on: to ForReview or back to Draft (ManageMasterData), to Approved (QualityApproval, signed, after a review), Active or Deprecated (QualityApproval).',
  })
  @Allow(Permission.ManageMasterData, Permission.QualityApproval)
  transitionProductDefinitionVersion(
    @Arg('input') input: TransitionProductDefinitionVersionInput,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.productDefinition.transitionVersion(ctx.principal, input);
  }
}

@Resolver(() => ProductDefinitionVersion)
export class ProductDefinitionVersionResolver {
  @Mutation(() => ProductDefinitionVersionResult, {
    description:
      'Reviews a version that is ForReview: the Review signature of someone holding Sign for the whole enterprise who did not write it. Approval needs one since the last submission.',
  })
  @Allow(Permission.Sign)
  reviewProductDefinitionVersion(
    @Arg('id', () => ID) id: string,
    @Arg('signature') signature: SignatureInput,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.productDefinition.review(ctx.principal, id, signature);
  }

  @FieldResolver(() => [ElectronicSignature], {
    description: 'The signatures on this version (its reviews and approval), oldest first.',
  })
  signatures(@Root() v: ProductDefinitionVersion, @Ctx() ctx: HubContext) {
    return ctx.loaders.signaturesOf.load(`ProductDefinitionVersion:${v.id}`);
  }

  @FieldResolver(() => ProductDefinition)
  productDefinition(@Root() v: ProductDefinitionVersion, @Ctx() ctx: HubContext) {
    return ctx.loaders.productDefinition.load(v.productDefinition.id);
  }
}
