import {
  Connection, CreateProductDefinitionInput, CreateProductDefinitionVersionInput, MaterialDefinition, ProductDefinition, ProductDefinitionFilter,
  ProductDefinitionResult, ProductDefinitionVersion, ProductDefinitionVersionResult, ProductDefinitionVersionState,
  TransitionProductDefinitionVersionInput, UpdateProductDefinitionVersionInput,
} from '@plantgraph/schema';
import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { PageArgs } from '../../graphql/pagination.js';

const ProductDefinitionConnection = Connection(ProductDefinition);

@Resolver(() => ProductDefinition)
export class ProductDefinitionResolver {
  @Query(() => ProductDefinition, { nullable: true })
  productDefinition(@Arg('code') code: string, @Ctx() ctx: HubContext) {
    return ctx.em.findOne(ProductDefinition, { code });
  }

  @Query(() => ProductDefinitionConnection, { description: 'Product definitions ordered by code.' })
  productDefinitions(@Arg('filter', () => ProductDefinitionFilter, { nullable: true }) filter: ProductDefinitionFilter | null, @Args() page: PageArgs, @Ctx() ctx: HubContext) {
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

  @FieldResolver(() => ProductDefinitionVersion, { nullable: true, description: 'The version new work orders are made by.' })
  async activeVersion(@Root() d: ProductDefinition, @Ctx() ctx: HubContext) {
    const versions = await ctx.loaders.versionsOfProductDefinition.load(d.id);
    return versions.find((v) => v.state === ProductDefinitionVersionState.Active) ?? null;
  }

  @Mutation(() => ProductDefinitionResult, { description: 'Creates a product definition with version 1 in Draft.' })
  createProductDefinition(@Arg('input') input: CreateProductDefinitionInput, @Ctx() ctx: HubContext) {
    return ctx.services.productDefinition.create(ctx.actor, input);
  }

  @Mutation(() => ProductDefinitionVersionResult)
  createProductDefinitionVersion(@Arg('input') input: CreateProductDefinitionVersionInput, @Ctx() ctx: HubContext) {
    return ctx.services.productDefinition.createVersion(ctx.actor, input);
  }

  @Mutation(() => ProductDefinitionVersionResult)
  updateProductDefinitionVersion(@Arg('input') input: UpdateProductDefinitionVersionInput, @Ctx() ctx: HubContext) {
    return ctx.services.productDefinition.updateVersion(ctx.actor, input);
  }

  @Mutation(() => ProductDefinitionVersionResult)
  transitionProductDefinitionVersion(@Arg('input') input: TransitionProductDefinitionVersionInput, @Ctx() ctx: HubContext) {
    return ctx.services.productDefinition.transitionVersion(ctx.actor, input);
  }
}

@Resolver(() => ProductDefinitionVersion)
export class ProductDefinitionVersionResolver {
  @FieldResolver(() => ProductDefinition)
  productDefinition(@Root() v: ProductDefinitionVersion, @Ctx() ctx: HubContext) {
    return ctx.loaders.productDefinition.load(v.productDefinition.id);
  }
}
