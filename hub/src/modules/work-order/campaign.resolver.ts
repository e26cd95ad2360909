import {
  CampaignBatch,
  CampaignBatchResult,
  CompleteCampaignBatchInput,
  ElectronicSignature,
  Permission,
  RecordCampaignCleaningInput,
  SplitBatchInput,
  StepRecord,
  WorkOrder,
} from '@plantgraph/schema';
import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { StepResult } from './work-order.types.js';

@Resolver(() => WorkOrder)
export class CampaignResolver {
  @FieldResolver(() => [CampaignBatch], { description: 'A campaign order: its batches so far, in sequence.' })
  campaign(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.campaignBatchesOf.load(order.id);
  }

  @Mutation(() => CampaignBatchResult, {
    description:
      'Completes the batch in work of a campaign order once it has run every step: its own lot in Quarantine (or the one its split made), whose genealogy is what the order consumed since the batch before.',
  })
  @Allow(Permission.ExecuteSteps)
  completeCampaignBatch(@Arg('input') input: CompleteCampaignBatchInput, @Ctx() ctx: HubContext) {
    return ctx.services.campaigns.completeBatch(ctx.principal, input);
  }

  @Mutation(() => CampaignBatchResult, {
    description:
      "Records the cleaning of the campaign's unit after its latest batch, signed (Responsibility) by whoever cleaned; the next batch's first step waits for it.",
  })
  @Allow(Permission.ExecuteSteps)
  recordCampaignCleaning(@Arg('input') input: RecordCampaignCleaningInput, @Ctx() ctx: HubContext) {
    return ctx.services.campaigns.recordCleaning(ctx.principal, input);
  }

  @Mutation(() => StepResult, {
    description:
      "Splits the batch in work into downstream lots at the operator's current step: makes the batch's lot and its parts (summing to it), linked both ways in the genealogy. Returns the step with its split.",
  })
  @Allow(Permission.ExecuteSteps)
  splitBatch(@Arg('input') input: SplitBatchInput, @Ctx() ctx: HubContext) {
    return ctx.services.campaigns.splitBatch(ctx.principal, input);
  }
}

@Resolver(() => CampaignBatch)
export class CampaignBatchResolver {
  @FieldResolver(() => [StepRecord], { description: 'The steps executed for this batch, in order.' })
  async steps(@Root() batch: CampaignBatch, @Ctx() ctx: HubContext) {
    return (await ctx.loaders.stepsOfOrder.load(batch.workOrder.id)).filter((s) => s.batch === batch.sequence);
  }

  @FieldResolver(() => [ElectronicSignature], { description: 'The signature on the cleaning after the batch.' })
  signatures(@Root() batch: CampaignBatch, @Ctx() ctx: HubContext) {
    return ctx.loaders.signaturesOf.load(`CampaignBatch:${batch.id}`);
  }
}
