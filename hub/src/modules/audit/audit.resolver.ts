import { Permission } from '@plantgraph/schema';
import { Arg, Args, Ctx, Query, Resolver } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { PageArgs } from '../../graphql/pagination.js';
import { AuditChainVerification, AuditRecordConnection } from './audit.types.js';

@Resolver()
export class AuditResolver {
  @Query(() => AuditRecordConnection, {
    description:
      'Changes to one record (e.g. entityType "WorkOrder" and its id), oldest first: those you may read the record for (see `AuditRecord.scope`); others are left out as if absent.',
  })
  @Allow(Permission.Read)
  auditTrail(
    @Arg('entityType') entityType: string,
    @Arg('entityId') entityId: string,
    @Args() page: PageArgs,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.audit.trail(ctx.em, ctx.principal, entityType, entityId, page);
  }

  @Query(() => AuditChainVerification, {
    description:
      'Recomputes the whole hash chain and names the first broken link. It spans every scope, so it needs an installation-wide grant (scope `*`).',
  })
  @Allow(Permission.Read)
  verifyAuditChain(@Ctx() ctx: HubContext) {
    return ctx.services.audit.verifyChain(ctx.em, ctx.principal);
  }
}
