import {
  CreateEquipmentClassInput,
  EquipmentClass,
  EquipmentClassResult,
  UpdateEquipmentClassInput,
  Permission,
} from '@plantgraph/schema';
import { Arg, Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { PageArgs } from '../../graphql/pagination.js';
import { EquipmentClassConnection } from './equipment.types.js';

@Resolver(() => EquipmentClass)
export class EquipmentClassResolver {
  @Query(() => EquipmentClass, { nullable: true })
  @Allow(Permission.Read)
  equipmentClass(@Arg('code') code: string, @Ctx() ctx: HubContext) {
    return ctx.services.equipmentClass.get(ctx.em, ctx.principal, code);
  }

  @Query(() => EquipmentClassConnection, { description: 'Equipment classes ordered by code.' })
  @Allow(Permission.Read)
  equipmentClasses(@Args() page: PageArgs, @Ctx() ctx: HubContext) {
    return ctx.services.equipmentClass.list(ctx.em, ctx.principal, page);
  }

  @Mutation(() => EquipmentClassResult)
  @Allow(Permission.ManageMasterData)
  createEquipmentClass(@Arg('input') input: CreateEquipmentClassInput, @Ctx() ctx: HubContext) {
    return ctx.services.equipmentClass.create(ctx.principal, input);
  }

  @Mutation(() => EquipmentClassResult)
  @Allow(Permission.ManageMasterData)
  updateEquipmentClass(
    @Arg('code') code: string,
    @Arg('input') input: UpdateEquipmentClassInput,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.equipmentClass.update(ctx.principal, code, input);
  }
}
