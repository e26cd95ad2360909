import { RESUME_CURSOR } from '../shared/resume-cursor.js';
import {
  CreateEquipmentInput,
  CreateEquipmentResult,
  Equipment,
  EquipmentClass,
  EquipmentFilter,
  EquipmentStateChange,
  SetEquipmentStateInput,
  SetEquipmentStateResult,
  UpdateEquipmentInput,
  UpdateEquipmentResult,
  Permission,
} from '@plantgraph/schema';
import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { EquipmentConnection, EquipmentStateChangeConnection } from './equipment.types.js';
import { PageArgs } from '../../graphql/pagination.js';
import { AFTER, openStream, streamOf } from '../../graphql/failures.js';

@Resolver(() => Equipment)
export class EquipmentResolver {
  @Query(() => Equipment, {
    nullable: true,
    description: 'The equipment at a path, e.g. `acme/berlin/assembly/line-1`.',
  })
  @Allow(Permission.Read)
  equipment(@Arg('path') path: string, @Ctx() ctx: HubContext) {
    return ctx.services.equipment.get(ctx.em, ctx.principal, path);
  }

  @Query(() => EquipmentConnection, { description: 'Equipment ordered by path.' })
  @Allow(Permission.Read)
  equipmentList(
    @Arg('filter', () => EquipmentFilter, { nullable: true }) filter: EquipmentFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.equipment.list(ctx.em, ctx.principal, filter, page);
  }

  @FieldResolver(() => Equipment, { nullable: true })
  parent(@Root() e: Equipment, @Ctx() ctx: HubContext) {
    return e.parent ? ctx.loaders.equipment.load(e.parent.id) : null;
  }

  @FieldResolver(() => [Equipment], { description: 'Direct children, ordered by path.' })
  children(@Root() e: Equipment, @Ctx() ctx: HubContext) {
    return ctx.loaders.equipmentChildren.load(e.id);
  }

  @FieldResolver(() => EquipmentClass, { nullable: true })
  equipmentClass(@Root() e: Equipment, @Ctx() ctx: HubContext) {
    return e.equipmentClass ? ctx.loaders.equipmentClass.load(e.equipmentClass.id) : null;
  }

  @FieldResolver(() => EquipmentStateChangeConnection, { description: 'States the equipment entered, newest first.' })
  stateHistory(@Root() e: Equipment, @Args() page: PageArgs, @Ctx() ctx: HubContext) {
    return ctx.loaders.stateHistoryOf.load({ parent: e.id, page: { first: page.first, after: page.after } });
  }

  @Mutation(() => CreateEquipmentResult)
  @Allow(Permission.ManageMasterData)
  createEquipment(@Arg('input') input: CreateEquipmentInput, @Ctx() ctx: HubContext) {
    return ctx.services.equipment.create(ctx.principal, input);
  }

  @Mutation(() => UpdateEquipmentResult)
  @Allow(Permission.ManageMasterData)
  updateEquipment(@Arg('path') path: string, @Arg('input') input: UpdateEquipmentInput, @Ctx() ctx: HubContext) {
    return ctx.services.equipment.update(ctx.principal, path, input);
  }

  @Mutation(() => SetEquipmentStateResult, {
    description: 'Sets the state by hand (machines report through the signal subject).',
  })
  @Allow(Permission.SetEquipmentState)
  setEquipmentState(@Arg('input') input: SetEquipmentStateInput, @Ctx() ctx: HubContext) {
    return ctx.services.equipment.setState(ctx.principal, input);
  }

  @Subscription(() => EquipmentStateChange, {
    description:
      'Each state change of the equipment at `scope` (a path prefix such as `acme/berlin`) and everything under it.',
    subscribe: ({ args, context }) => {
      const ctx = context as HubContext;
      return openStream(() =>
        ctx.services.equipment.subscribeStateChanges(ctx.principal, args.scope as string, streamOf(ctx, args)),
      );
    },
  })
  @Allow(Permission.Read)
  equipmentStateChanged(
    @Root() change: EquipmentStateChange,
    @Arg('scope') _scope: string,
    @Arg('after', () => String, { nullable: true, description: AFTER }) _after: string | null,
    @Ctx() ctx: HubContext,
  ) {
    ctx.renew();
    return change;
  }
}

@Resolver(() => EquipmentStateChange)
export class EquipmentStateChangeResolver {
  @FieldResolver(() => String, { nullable: true, description: `${RESUME_CURSOR} Set on subscription events only.` })
  cursor(@Root() change: EquipmentStateChange & { cursor?: string }): string | null {
    return change.cursor ?? null;
  }

  @FieldResolver(() => Equipment)
  equipment(@Root() change: EquipmentStateChange, @Ctx() ctx: HubContext) {
    return ctx.loaders.equipment.load(change.equipment.id);
  }
}
