import { Permission } from '@plantgraph/schema';
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { isFailure } from '../../core/failures.js';
import {
  BatchRecordDocument,
  BatchRecordResult,
  BatchRecordVerification,
  BatchRecordVerificationResult,
} from './batch-record.types.js';

@Resolver()
export class BatchRecordResolver {
  @Mutation(() => BatchRecordResult, {
    description:
      "Renders an order's executed batch record as PDF (from its release snapshot and stored execution data) and appends the rendering with its hash to the audit trail; a mutation because of that record. Needs Read where the order runs.",
  })
  @Allow(Permission.Read)
  async renderBatchRecord(@Arg('number') number: string, @Ctx() ctx: HubContext) {
    const rendered = await ctx.services.batchRecords.render(ctx.principal, number);
    if (isFailure(rendered)) return rendered;
    const { pdf, ...document } = rendered;
    return Object.assign(new BatchRecordDocument(), document, {
      contentType: 'application/pdf',
      pdfBase64: pdf.toString('base64'),
    });
  }

  @Query(() => BatchRecordVerificationResult, {
    description:
      "Checks a batch record's printed SHA-256 against the renderings in the audit trail and the record as it is now.",
  })
  @Allow(Permission.Read)
  async verifyBatchRecord(@Arg('number') number: string, @Arg('sha256') sha256: string, @Ctx() ctx: HubContext) {
    const verification = await ctx.services.batchRecords.verify(ctx.em, ctx.principal, number, sha256);
    return Object.assign(new BatchRecordVerification(), verification);
  }
}
