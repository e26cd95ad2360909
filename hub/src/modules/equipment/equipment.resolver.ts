import {
  Connection, CreateEquipmentInput, CreateEquipmentResult, Equipment, EquipmentClass, EquipmentFilter, EquipmentStateChange,
  SetEquipmentStateInput, SetEquipmentStateResult, UpdateEquipmentInput, UpdateEquipmentResult,
} from '@plantgraph/schema';
import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { PageArgs } from '../../graphql/pagination.js';

const EquipmentConnection = Connection(Equipment);
const EquipmentStateChangeConnection = Connection(EquipmentStateChange);

@Resolver(() => Equipment)
export class EquipmentResolver {
  @Query(() => Equipment, { nullable: true, description: 'The equipment at a path, e.g. `acme/berlin/assembly/line-1`.' })
  equipment(@Arg('path') path: string, @Ctx() ctx: HubContext) {
    return ctx.em.findOne(Equipment, { path });
  }

  @Query(() => EquipmentConnection, { description: 'Equipment ordered by path.' })
  equipmentList(@Arg('filter', () => EquipmentFilter, { nullable: true }) filter: EquipmentFilter | null, @Args() page: PageArgs, @Ctx() ctx: HubContext) {
    return ctx.services.equipment.list(ctx.em, filter, page);
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
    return ctx.services.equipment.stateHistory(ctx.em, e, page);
  }

  @Mutation(() => CreateEquipmentResult)
  createEquipment(@Arg('input') input: CreateEquipmentInput, @Ctx() ctx: HubContext) {
    return ctx.services.equipment.create(ctx.actor, input);
  }

  @Mutation(() => UpdateEquipmentResult)
  updateEquipment(@Arg('path') path: string, @Arg('input') input: UpdateEquipmentInput, @Ctx() ctx: HubContext) {
    return ctx.services.equipment.update(ctx.actor, path, input);
  }

  @Mutation(() => SetEquipmentStateResult, { description: 'Sets the state by hand (machines report through the signal subject).' })
  setEquipmentState(@Arg('input') input: SetEquipmentStateInput, @Ctx() ctx: HubContext) {
    return ctx.services.equipment.setState(ctx.actor, input);
  }

  @Subscription(() => EquipmentStateChange, {
    description: 'Each state change of the equipment at `scope` (a path prefix such as `acme/berlin`) and everything under it.',
    subscribe: ({ args, context }) => (context as HubContext).services.equipment.subscribeStateChanges(args.scope as string),
  })
  equipmentStateChanged(@Root() change: EquipmentStateChange, @Arg('scope') _scope: string, @Ctx() ctx: HubContext) {
    ctx.renew();
    return change;
  }
}

@Resolver(() => EquipmentStateChange)
export class EquipmentStateChangeResolver {
  @FieldResolver(() => Equipment)
  equipment(@Root() change: EquipmentStateChange, @Ctx() ctx: HubContext) {
    return ctx.loaders.equipment.load(change.equipment.id);
  }
}
