import {
  DisplayLabels,
  Equipment,
  IndustryProfile,
  MaintenanceOrder,
  MaintenanceOrderResult,
  MaintenanceOrderTransitionInput,
  OpenMaintenanceOrderInput,
  Permission,
  ElectronicSignature,
  SignOffMaintenanceOrderInput,
  CreateEquipmentResult,
} from '@plantgraph/schema';
import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';

@Resolver(() => MaintenanceOrder)
export class MaintenanceOrderResolver {
  @Query(() => MaintenanceOrder, { nullable: true })
  @Allow(Permission.Read)
  maintenanceOrder(@Arg('number') number: string, @Ctx() ctx: HubContext) {
    return ctx.services.maintenanceOrders.get(ctx.em, ctx.principal, number);
  }

  @Query(() => [MaintenanceOrder], {
    description:
      'Maintenance orders (at most 500, oldest first), of one equipment or all you may read; open ones only unless `includeClosed`.',
  })
  @Allow(Permission.Read)
  maintenanceOrders(
    @Arg('equipment', () => String, { nullable: true }) equipment: string | null,
    @Arg('includeClosed', { defaultValue: false }) includeClosed: boolean,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.maintenanceOrders.list(ctx.em, ctx.principal, equipment, !includeClosed);
  }

  @FieldResolver(() => Equipment, { nullable: true })
  equipment(@Root() order: MaintenanceOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.equipment.load(order.equipment.id);
  }

  @FieldResolver(() => [ElectronicSignature], { description: 'The sign-off signature, once given.' })
  signatures(@Root() order: MaintenanceOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.signaturesOf.load(`MaintenanceOrder:${order.id}`);
  }

  @Mutation(() => MaintenanceOrderResult, {
    description:
      'Opens a preventive, corrective or calibration order against an equipment asset. It holds the equipment condition: a repair UnderMaintenance at once, planned upkeep MaintenanceDue until started, a calibration CalibrationDue at its due date (now when none), which holds the interlock.',
  })
  @Allow(Permission.MaintainEquipment)
  openMaintenanceOrder(@Arg('input') input: OpenMaintenanceOrderInput, @Ctx() ctx: HubContext) {
    return ctx.services.maintenanceOrders.open(ctx.principal, input);
  }

  @Mutation(() => MaintenanceOrderResult, {
    description: 'Open → InProgress (or a Completed order sent back): the equipment is held from now on.',
  })
  @Allow(Permission.MaintainEquipment)
  startMaintenanceOrder(@Arg('input') input: MaintenanceOrderTransitionInput, @Ctx() ctx: HubContext) {
    return ctx.services.maintenanceOrders.start(ctx.principal, input);
  }

  @Mutation(() => MaintenanceOrderResult, {
    description: 'InProgress → Completed with the work done (`reason`); the equipment stays held until sign-off.',
  })
  @Allow(Permission.MaintainEquipment)
  completeMaintenanceOrder(@Arg('input') input: MaintenanceOrderTransitionInput, @Ctx() ctx: HubContext) {
    return ctx.services.maintenanceOrders.complete(ctx.principal, input);
  }

  @Mutation(() => MaintenanceOrderResult, {
    description: 'Open or InProgress → Cancelled, with a reason; lifts what the order held.',
  })
  @Allow(Permission.MaintainEquipment)
  cancelMaintenanceOrder(@Arg('input') input: MaintenanceOrderTransitionInput, @Ctx() ctx: HubContext) {
    return ctx.services.maintenanceOrders.cancel(ctx.principal, input);
  }

  @Mutation(() => MaintenanceOrderResult, {
    description:
      'Completed → SignedOff, signed by someone who did not do the work (Review; a calibration Approval by the quality unit). Lifts the hold; a calibration records the next due date.',
  })
  @Allow(Permission.Sign)
  signOffMaintenanceOrder(@Arg('input') input: SignOffMaintenanceOrderInput, @Ctx() ctx: HubContext) {
    return ctx.services.maintenanceOrders.signOff(ctx.principal, input);
  }
}

@Resolver(() => Equipment)
export class IndustryProfileResolver {
  @FieldResolver(() => IndustryProfile, {
    nullable: true,
    description: "A site's industry profile (display labels only); null elsewhere.",
  })
  industryProfile(@Root() e: Equipment) {
    return e.industryProfile ?? null;
  }

  @Query(() => DisplayLabels, {
    description:
      "The ISA-95 records in the words of the site `path` lies in (its industry profile; Discrete when none). The API's own names stay ISA-95.",
  })
  @Allow(Permission.Read)
  displayLabels(@Arg('path') path: string, @Ctx() ctx: HubContext) {
    return ctx.services.industryProfiles.labelsAt(ctx.em, ctx.principal, path);
  }

  @Mutation(() => CreateEquipmentResult, {
    description: 'Sets (or, with null, removes) the industry profile of a Site.',
  })
  @Allow(Permission.ManageMasterData)
  setIndustryProfile(
    @Arg('path') path: string,
    @Arg('profile', () => IndustryProfile, { nullable: true }) profile: IndustryProfile | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.industryProfiles.set(ctx.principal, path, profile);
  }
}
