import {
  AffectedOrder,
  Deviation,
  EngineeringChangeDecision,
  ElectronicSignature,
  MaterialLot,
  MeasurementInput,
  Permission,
  ProductSegment,
  SignatureInput,
  StepRecord,
  WorkOrder,
  WorkOrderTransitionResult,
} from '@plantgraph/schema';
import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { DeviationResult, GenealogyLink, StepResult } from './work-order.types.js';

@Resolver(() => WorkOrder)
export class WorkOrderExecutionResolver {
  @FieldResolver(() => ProductSegment, {
    nullable: true,
    description: 'The step to do now, from the snapshot (with its pinned work instruction); null when none is left.',
  })
  async currentStep(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    if (!order.snapshot) return null;
    const made = order.campaignBatches ? (await ctx.loaders.campaignBatchesOf.load(order.id)).length : 0;
    return ctx.services.execution.currentStep(order, await ctx.loaders.stepsOfOrder.load(order.id), made);
  }

  @FieldResolver(() => [AffectedOrder], {
    description:
      'Approved engineering changes that await a supervisor for this order: while any is listed, no step starts or completes and the batch is not split or completed.',
  })
  async pendingEngineeringChanges(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return pending(await ctx.loaders.affectedOrdersOf.load(order.id));
  }

  @FieldResolver(() => [StepRecord], { description: 'The executed record, step by step.' })
  steps(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.stepsOfOrder.load(order.id);
  }

  @FieldResolver(() => [Deviation])
  deviations(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.deviationsOfOrder.load(order.id);
  }

  @FieldResolver(() => [ElectronicSignature], {
    description:
      'Signatures on the order itself (line clearance, release to stock, rejection), oldest first; those on its steps and deviations are shown with them.',
  })
  signatures(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.signaturesOf.load(`WorkOrder:${order.id}`);
  }

  @Mutation(() => WorkOrderTransitionResult, {
    description:
      'Confirms the line is clear; needed before the first step. Signed (meaning Responsibility) by a person with a current `line-clearance` qualification who may execute steps at the order.',
  })
  @Allow(Permission.ExecuteSteps)
  confirmLineClearance(
    @Arg('number') number: string,
    @Arg('signature', () => SignatureInput, {
      nullable: true,
      description: 'Required: the signature of the qualified person.',
    })
    signature: SignatureInput | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.execution.confirmLineClearance(ctx.principal, number, signature);
  }

  @Mutation(() => StepResult, {
    description: 'Starts the next step as the signed-in operator; blocked when a prerequisite is missing.',
  })
  @Allow(Permission.ExecuteSteps)
  startStep(@Arg('number') number: string, @Ctx() ctx: HubContext) {
    return ctx.services.execution.startStep(ctx.principal, number);
  }

  @Mutation(() => StepResult, {
    description:
      'Records what the current step captures: values (one outside its limits opens a deviation), container ids, and a pass/fail verdict (a fail opens a deviation).',
  })
  @Allow(Permission.ExecuteSteps)
  recordMeasurements(
    @Arg('number') number: string,
    @Arg('measurements', () => [MeasurementInput], { defaultValue: [] }) measurements: MeasurementInput[],
    @Arg('containers', () => [String], { nullable: true }) containers: string[] | null,
    @Arg('passed', () => Boolean, { nullable: true }) passed: boolean | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.execution.recordMeasurements(ctx.principal, number, measurements, { containers, passed });
  }

  @Mutation(() => StepResult, {
    description: 'Consumes material for the current step from the lots reserved at release.',
  })
  @Allow(Permission.ExecuteSteps)
  consumeMaterial(
    @Arg('number') number: string,
    @Arg('lotNumber') lotNumber: string,
    @Arg('quantity') quantity: number,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.execution.consumeMaterial(ctx.principal, number, lotNumber, quantity);
  }

  @Mutation(() => StepResult, {
    description:
      'Completes the current step; a critical step needs `verification`: the Verification signature of a second person who may execute steps at the order.',
  })
  @Allow(Permission.ExecuteSteps)
  completeStep(
    @Arg('number') number: string,
    @Arg('verification', () => SignatureInput, { nullable: true }) verification: SignatureInput | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.execution.completeStep(ctx.principal, number, verification);
  }

  @Mutation(() => WorkOrderTransitionResult, {
    description:
      'InProgress → Completed: creates the produced lot (quarantined) with its genealogy; returns unused reservations.',
  })
  @Allow(Permission.ExecuteSteps)
  completeWorkOrder(
    @Arg('number') number: string,
    @Arg('producedLotNumber') producedLotNumber: string,
    @Arg('producedQuantity') producedQuantity: number,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.execution.complete(ctx.principal, number, producedLotNumber, producedQuantity);
  }

  @Mutation(() => WorkOrderTransitionResult, { description: 'Completed → UnderReview.' })
  @Allow(Permission.ExecuteSteps)
  submitWorkOrderForReview(@Arg('number') number: string, @Ctx() ctx: HubContext) {
    return ctx.services.review.submitForReview(ctx.principal, number);
  }

  @Mutation(() => WorkOrderTransitionResult, {
    description:
      'UnderReview → ReleasedToStock, signed with the meaning Approval by the quality unit (QualityApproval at the order) and by no one who executed a step of it; refused while deviations are open. Locks the genealogy.',
  })
  @Allow(Permission.QualityApproval)
  releaseWorkOrderToStock(
    @Arg('number') number: string,
    @Arg('signature') signature: SignatureInput,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.review.releaseToStock(ctx.principal, number, signature);
  }

  @Mutation(() => WorkOrderTransitionResult, {
    description:
      'UnderReview → Rejected, with the disposition, signed like a release to stock (Approval, the quality unit, not an executor).',
  })
  @Allow(Permission.QualityApproval)
  rejectWorkOrder(
    @Arg('number') number: string,
    @Arg('disposition') disposition: string,
    @Arg('signature') signature: SignatureInput,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.review.reject(ctx.principal, number, disposition, signature);
  }

  @Mutation(() => DeviationResult, {
    description:
      'Closes a deviation with its resolution, signed by two different people: one Review (Sign) and one Approval (QualityApproval).',
  })
  @Allow(Permission.Sign)
  closeDeviation(
    @Arg('id') id: string,
    @Arg('resolution') resolution: string,
    @Arg('signatures', () => [SignatureInput]) signatures: SignatureInput[],
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.review.closeDeviation(ctx.principal, id, resolution, signatures);
  }

  @Mutation(() => StepResult, {
    description:
      'Corrects a recorded value through a Correction deviation that keeps the prior value, signed like a deviation closure (Review and Approval, two people).',
  })
  @Allow(Permission.Sign)
  correctMeasurement(
    @Arg('number') number: string,
    @Arg('segment') segment: string,
    @Arg('parameter') parameter: string,
    @Arg('value') value: number,
    @Arg('reason') reason: string,
    @Arg('signatures', () => [SignatureInput]) signatures: SignatureInput[],
    @Ctx() ctx: HubContext,
    @Arg('batch', () => Int, {
      nullable: true,
      description: "A campaign's batch whose step is corrected (required there).",
    })
    batch?: number | null,
  ) {
    return ctx.services.review.correctMeasurement(
      ctx.principal,
      number,
      segment,
      parameter,
      value,
      reason,
      signatures,
      batch ?? null,
    );
  }
}

@Resolver(() => StepRecord)
export class StepRecordResolver {
  @FieldResolver(() => [ElectronicSignature], {
    description: 'Signatures on the step (its Verification by a second person), oldest first.',
  })
  signatures(@Root() step: StepRecord, @Ctx() ctx: HubContext) {
    return ctx.loaders.signaturesOf.load(`StepRecord:${step.id}`);
  }

  @FieldResolver(() => [AffectedOrder], {
    description:
      "On the step in work: the approved engineering changes of its order awaiting a supervisor's decision, which hold its completion (values can still be recorded). Empty on a completed step.",
  })
  async pendingEngineeringChanges(@Root() step: StepRecord, @Ctx() ctx: HubContext) {
    return step.completedAt ? [] : pending(await ctx.loaders.affectedOrdersOf.load(step.workOrder.id));
  }
}

const pending = (changes: AffectedOrder[]) => changes.filter((c) => c.decision === EngineeringChangeDecision.Pending);

@Resolver(() => Deviation)
export class DeviationResolver {
  @FieldResolver(() => [ElectronicSignature], {
    description: 'Signatures on the deviation (its closure or correction: a Review and an Approval), oldest first.',
  })
  signatures(@Root() deviation: Deviation, @Ctx() ctx: HubContext) {
    return ctx.loaders.signaturesOf.load(`Deviation:${deviation.id}`);
  }
}

@Resolver(() => MaterialLot)
export class GenealogyResolver {
  @FieldResolver(() => [GenealogyLink], {
    description: 'Every lot that went into this one, recursively (one query); lots outside your scopes by number only.',
  })
  genealogyInputs(@Root() lot: MaterialLot, @Ctx() ctx: HubContext) {
    return ctx.services.genealogy.trace(ctx.em, ctx.principal, lot.id, 'inputs');
  }

  @FieldResolver(() => [GenealogyLink], {
    description: 'Every lot this one went into, recursively (one query); lots outside your scopes by number only.',
  })
  genealogyOutputs(@Root() lot: MaterialLot, @Ctx() ctx: HubContext) {
    return ctx.services.genealogy.trace(ctx.em, ctx.principal, lot.id, 'outputs');
  }
}
