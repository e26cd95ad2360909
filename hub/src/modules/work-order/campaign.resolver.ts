import {
  CampaignBatch,
  CampaignBatchResult,
  CompleteCampaignBatchInput,
  MaterialLotResult,
  Permission,
  RecordCampaignCleaningInput,
  SplitBatchInput,
  WorkOrder,
} from '@plantgraph/schema';
import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';

@Resolver(() => WorkOrder)
export class CampaignResolver {
  @FieldResolver(() => [CampaignBatch], { description: 'A campaign order: its batches so far, in sequence.' })
  campaign(@Root() order: WorkOrder, @Ctx() ctx: HubContext) {
    return ctx.loaders.campaignBatchesOf.load(order.id);
  }

  @Mutation(() => CampaignBatchResult, {
    description:
      "Makes the next batch of a campaign order (InProgress): its own lot in Quarantine, whose genealogy is what the order consumed since the batch before. The unit's cleaning after the batch before must be recorded.",
  })
  @Allow(Permission.ExecuteSteps)
  completeCampaignBatch(@Arg('input') input: CompleteCampaignBatchInput, @Ctx() ctx: HubContext) {
    return ctx.services.campaigns.completeBatch(ctx.principal, input);
  }

  @Mutation(() => CampaignBatchResult, {
    description: "Records the cleaning of the campaign's unit after its latest batch; the next batch waits for it.",
  })
  @Allow(Permission.ExecuteSteps)
  recordCampaignCleaning(@Arg('input') input: RecordCampaignCleaningInput, @Ctx() ctx: HubContext) {
    return ctx.services.campaigns.recordCleaning(ctx.principal, input);
  }

  @Mutation(() => MaterialLotResult, {
    description:
      'Splits a batch the order produced into downstream lots at one of its steps; the genealogy links each part to the batch both ways. Returns the batch with what is left.',
  })
  @Allow(Permission.ExecuteSteps)
  splitBatch(@Arg('input') input: SplitBatchInput, @Ctx() ctx: HubContext) {
    return ctx.services.campaigns.splitBatch(ctx.principal, input);
  }
}
