import {
  CreateMaterialClassInput,
  CreateMaterialDefinitionInput,
  CreateMaterialLotInput,
  CreateMaterialSublotInput,
  Equipment,
  MaterialClass,
  MaterialClassResult,
  MaterialDefinition,
  MaterialDefinitionFilter,
  MaterialDefinitionResult,
  MaterialLot,
  MaterialLotFilter,
  MaterialLotResult,
  MaterialSublot,
  MaterialSublotResult,
  UpdateMaterialClassInput,
  UpdateMaterialDefinitionInput,
  UpdateMaterialLotInput,
  Permission,
  SignatureInput,
} from '@plantgraph/schema';
import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { PageArgs } from '../../graphql/pagination.js';
import { MaterialClassConnection, MaterialDefinitionConnection, MaterialLotConnection } from './material.types.js';

@Resolver(() => MaterialClass)
export class MaterialClassResolver {
  @Query(() => MaterialClass, { nullable: true })
  @Allow(Permission.Read)
  materialClass(@Arg('code') code: string, @Ctx() ctx: HubContext) {
    return ctx.services.materialClass.get(ctx.em, ctx.principal, code);
  }

  @Query(() => MaterialClassConnection, { description: 'Material classes ordered by code.' })
  @Allow(Permission.Read)
  materialClasses(@Args() page: PageArgs, @Ctx() ctx: HubContext) {
    return ctx.services.materialClass.list(ctx.em, ctx.principal, page);
  }

  @Mutation(() => MaterialClassResult)
  @Allow(Permission.ManageMasterData)
  createMaterialClass(@Arg('input') input: CreateMaterialClassInput, @Ctx() ctx: HubContext) {
    return ctx.services.materialClass.create(ctx.principal, input);
  }

  @Mutation(() => MaterialClassResult)
  @Allow(Permission.ManageMasterData)
  updateMaterialClass(
    @Arg('code') code: string,
    @Arg('input') input: UpdateMaterialClassInput,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.materialClass.update(ctx.principal, code, input);
  }
}

@Resolver(() => MaterialDefinition)
export class MaterialDefinitionResolver {
  @Query(() => MaterialDefinition, { nullable: true })
  @Allow(Permission.Read)
  materialDefinition(@Arg('code') code: string, @Ctx() ctx: HubContext) {
    return ctx.services.material.getDefinition(ctx.em, ctx.principal, code);
  }

  @Query(() => MaterialDefinitionConnection, { description: 'Material definitions ordered by code.' })
  @Allow(Permission.Read)
  materialDefinitions(
    @Arg('filter', () => MaterialDefinitionFilter, { nullable: true }) filter: MaterialDefinitionFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.material.listDefinitions(ctx.em, ctx.principal, filter, page);
  }

  @FieldResolver(() => MaterialClass, { nullable: true })
  materialClass(@Root() d: MaterialDefinition, @Ctx() ctx: HubContext) {
    return d.materialClass ? ctx.loaders.materialClass.load(d.materialClass.id) : null;
  }

  @Mutation(() => MaterialDefinitionResult)
  @Allow(Permission.ManageMasterData)
  createMaterialDefinition(@Arg('input') input: CreateMaterialDefinitionInput, @Ctx() ctx: HubContext) {
    return ctx.services.material.createDefinition(ctx.principal, input);
  }

  @Mutation(() => MaterialDefinitionResult)
  @Allow(Permission.ManageMasterData)
  updateMaterialDefinition(
    @Arg('code') code: string,
    @Arg('input') input: UpdateMaterialDefinitionInput,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.material.updateDefinition(ctx.principal, code, input);
  }
}

@Resolver(() => MaterialLot)
export class MaterialLotResolver {
  @Query(() => MaterialLot, { nullable: true })
  @Allow(Permission.Read)
  materialLot(@Arg('lotNumber') lotNumber: string, @Ctx() ctx: HubContext) {
    return ctx.services.material.getLot(ctx.em, ctx.principal, lotNumber);
  }

  @Query(() => MaterialLotConnection, { description: 'Material lots ordered by lot number.' })
  @Allow(Permission.Read)
  materialLots(
    @Arg('filter', () => MaterialLotFilter, { nullable: true }) filter: MaterialLotFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.material.listLots(ctx.em, ctx.principal, filter, page);
  }

  @FieldResolver(() => MaterialDefinition)
  materialDefinition(@Root() lot: MaterialLot, @Ctx() ctx: HubContext) {
    return ctx.loaders.materialDefinition.load(lot.materialDefinition.id);
  }

  @FieldResolver(() => Equipment, { nullable: true, description: 'Where the lot is stored.' })
  location(@Root() lot: MaterialLot, @Ctx() ctx: HubContext) {
    return lot.location ? ctx.loaders.equipment.load(lot.location.id) : null;
  }

  @FieldResolver(() => [MaterialSublot])
  sublots(@Root() lot: MaterialLot, @Ctx() ctx: HubContext) {
    return ctx.loaders.sublotsOfLot.load(lot.id);
  }

  @FieldResolver(() => Boolean, { description: 'Whether the lot is past its expiry now.' })
  expired(@Root() lot: MaterialLot, @Ctx() ctx: HubContext) {
    return ctx.services.material.isExpired(lot);
  }

  @Mutation(() => MaterialLotResult, {
    description:
      'Creates a material lot; lot numbers are unique across the installation. A number that is taken, even by a record outside your scopes, fails with DuplicateKey: the same answer whoever asks, naming nothing but the number.',
  })
  @Allow(Permission.ManageMasterData)
  createMaterialLot(@Arg('input') input: CreateMaterialLotInput, @Ctx() ctx: HubContext) {
    return ctx.services.material.createLot(ctx.principal, input);
  }

  @Mutation(() => MaterialLotResult, {
    description:
      "Changes a lot. A new status is the quality unit's disposition (QualityApproval) with a reason; a new quantity needs a reason, and on released product `signature`. A lot an order produced takes its status from the order's release to stock or rejection only. Every change is audited with its reason.",
  })
  @Allow(Permission.ManageMasterData, Permission.QualityApproval)
  updateMaterialLot(
    @Arg('lotNumber') lotNumber: string,
    @Arg('input') input: UpdateMaterialLotInput,
    @Arg('signature', () => SignatureInput, {
      nullable: true,
      description: 'Required to change the quantity of released product.',
    })
    signature: SignatureInput | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.material.updateLot(ctx.principal, lotNumber, input, signature);
  }

  @Mutation(() => MaterialSublotResult, {
    description:
      'Creates a sublot of a lot; sublot numbers are unique across the installation. A number that is taken, even by a record outside your scopes, fails with DuplicateKey: the same answer whoever asks, naming nothing but the number.',
  })
  @Allow(Permission.ManageMasterData)
  createMaterialSublot(@Arg('input') input: CreateMaterialSublotInput, @Ctx() ctx: HubContext) {
    return ctx.services.material.createSublot(ctx.principal, input);
  }
}

@Resolver(() => MaterialSublot)
export class MaterialSublotResolver {
  @FieldResolver(() => MaterialLot)
  lot(@Root() sublot: MaterialSublot, @Ctx() ctx: HubContext) {
    return ctx.loaders.materialLot.load(sublot.lot.id);
  }

  @FieldResolver(() => Equipment, { nullable: true })
  location(@Root() sublot: MaterialSublot, @Ctx() ctx: HubContext) {
    return sublot.location ? ctx.loaders.equipment.load(sublot.location.id) : null;
  }
}
