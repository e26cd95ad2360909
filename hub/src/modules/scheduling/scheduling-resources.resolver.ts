import {
  ClosePlannedReceiptInput,
  Permission,
  PlannedReceipt,
  PlannedReceiptResult,
  RecordPlannedReceiptInput,
  RemoveShiftAssignmentInput,
  RosterShiftInput,
  ShiftAssignment,
  ShiftAssignmentResult,
} from '@plantgraph/schema';
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';

/** The shift roster and planned receipts: what scheduling counts of people and material beyond stock. */
@Resolver()
export class SchedulingResourcesResolver {
  @Query(() => [ShiftAssignment], {
    description: 'The shift roster of the calendar at `scope` and the calendars under it.',
  })
  @Allow(Permission.Read)
  shiftRoster(@Arg('scope') scope: string, @Ctx() ctx: HubContext) {
    return ctx.services.schedulingResources.roster(ctx.em, ctx.principal, scope);
  }

  @Mutation(() => ShiftAssignmentResult, {
    description:
      'Rosters a person on a shift of a calendar, every day or by a repeating crew pattern. Once a calendar has a roster, scheduling counts only rostered, currently qualified operators per shift.',
  })
  @Allow(Permission.PlanWorkOrders)
  rosterShift(@Arg('input') input: RosterShiftInput, @Ctx() ctx: HubContext) {
    return ctx.services.schedulingResources.rosterShift(ctx.principal, input);
  }

  @Mutation(() => ShiftAssignmentResult, { description: 'Takes an assignment out of the shift roster.' })
  @Allow(Permission.PlanWorkOrders)
  removeShiftAssignment(@Arg('input') input: RemoveShiftAssignmentInput, @Ctx() ctx: HubContext) {
    return ctx.services.schedulingResources.removeShiftAssignment(ctx.principal, input);
  }

  @Query(() => [PlannedReceipt], { description: 'Open planned receipts, by expected date.' })
  @Allow(Permission.Read)
  plannedReceipts(@Arg('material', () => String, { nullable: true }) material: string | null, @Ctx() ctx: HubContext) {
    return ctx.services.schedulingResources.plannedReceipts(ctx.em, ctx.principal, material);
  }

  @Mutation(() => PlannedReceiptResult, {
    description:
      'Records (or updates, by reference) material expected at a date, e.g. an ERP purchase order line; scheduling counts it from then.',
  })
  @Allow(Permission.PlanWorkOrders)
  recordPlannedReceipt(@Arg('input') input: RecordPlannedReceiptInput, @Ctx() ctx: HubContext) {
    return ctx.services.schedulingResources.recordPlannedReceipt(ctx.principal, input);
  }

  @Mutation(() => PlannedReceiptResult, { description: 'Closes a planned receipt: received as a lot, or cancelled.' })
  @Allow(Permission.PlanWorkOrders)
  closePlannedReceipt(@Arg('input') input: ClosePlannedReceiptInput, @Ctx() ctx: HubContext) {
    return ctx.services.schedulingResources.closePlannedReceipt(ctx.principal, input);
  }
}
