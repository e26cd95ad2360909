import {
  CloseDeviationCapaInput,
  Deviation,
  DeviationCapaInput,
  ElectronicSignature,
  MaterialLot,
  Permission,
  RaiseDeviationInput,
  RecordDeviationQmsStatusInput,
  WorkOrder,
} from '@plantgraph/schema';
import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { DeviationResult } from './work-order.types.js';

@Resolver(() => Deviation)
export class NonconformanceResolver {
  @FieldResolver(() => WorkOrder, { nullable: true, description: 'The order it is about; null for a lot alone.' })
  workOrder(@Root() d: Deviation, @Ctx() ctx: HubContext) {
    return d.workOrder ? ctx.loaders.workOrder.load(d.workOrder.id) : null;
  }

  @FieldResolver(() => MaterialLot, { nullable: true, description: 'The lot it is about, if any.' })
  lot(@Root() d: Deviation, @Ctx() ctx: HubContext) {
    return d.lot ? ctx.loaders.materialLotAny.load(d.lot.id) : null;
  }

  @Mutation(() => DeviationResult, {
    description:
      'Raises a nonconformance found by a person (kind, severity, description) on an order, one of its steps, or a lot. An open deviation on an order keeps it from release to stock.',
  })
  @Allow(Permission.ExecuteSteps, Permission.Sign, Permission.QualityApproval)
  raiseDeviation(@Arg('input') input: RaiseDeviationInput, @Ctx() ctx: HubContext) {
    return ctx.services.deviations.raise(ctx.principal, input);
  }

  @Mutation(() => DeviationResult, { description: 'Links the CAPA a deviation is handled under.' })
  @Allow(Permission.QualityApproval)
  linkDeviationCapa(@Arg('input') input: DeviationCapaInput, @Ctx() ctx: HubContext) {
    return ctx.services.deviations.linkCapa(ctx.principal, input);
  }

  @Mutation(() => DeviationResult, { description: "Records that a deviation's CAPA was closed, and how." })
  @Allow(Permission.QualityApproval)
  closeDeviationCapa(@Arg('input') input: CloseDeviationCapaInput, @Ctx() ctx: HubContext) {
    return ctx.services.deviations.closeCapa(ctx.principal, input);
  }

  @Mutation(() => DeviationResult, {
    description:
      "Records what the quality system (QMS) holds of a deviation: its nonconformance record's reference, status and closure (a QMS connector reads them back). Shown on the deviation; closing the deviation itself stays a signed act in the hub.",
  })
  @Allow(Permission.QualityApproval)
  recordDeviationQmsStatus(@Arg('input') input: RecordDeviationQmsStatusInput, @Ctx() ctx: HubContext) {
    return ctx.services.deviations.recordQmsStatus(ctx.principal, input);
  }
}

@Resolver(() => MaterialLot)
export class LotDeviationResolver {
  @FieldResolver(() => [Deviation], { description: 'Deviations raised on the lot, oldest first.' })
  deviations(@Root() lot: MaterialLot, @Ctx() ctx: HubContext) {
    return ctx.loaders.deviationsOfLot.load(lot.id);
  }

  @FieldResolver(() => [ElectronicSignature], {
    description:
      'Signatures on the lot itself (a change of released product, signed by the quality unit), oldest first.',
  })
  signatures(@Root() lot: MaterialLot, @Ctx() ctx: HubContext) {
    return ctx.loaders.signaturesOf.load(`MaterialLot:${lot.id}`);
  }
}
