import { AuditRecord, Connection, Permission } from '@plantgraph/schema';
import { Arg, Args, Ctx, Extensions, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { PageArgs } from '../../graphql/pagination.js';
import { paginate } from '../../core/paging.js';
import { requireEnterpriseWide } from '../../core/visibility.js';
import { verifyAuditChain } from '../../core/audit-chain.js';

const AuditRecordConnection = Connection(AuditRecord);

@ObjectType({ description: 'The result of recomputing the audit hash chain.' })
@Extensions({ allow: [Permission.Read] })
class AuditChainVerification {
  @Field({ description: 'True when every record links to the one before and matches its hash.' }) valid!: boolean;
  @Field(() => Int) checked!: number;
  @Field(() => String, { nullable: true, description: 'The first record that does not verify.' }) firstBrokenId!: string | null;
  @Field(() => String, { nullable: true }) problem!: string | null;
}

/** The audit trail spans every scope, so reading it takes an enterprise-wide grant. */
@Resolver()
export class AuditResolver {
  @Query(() => AuditRecordConnection, { description: 'Changes to one record (e.g. entityType "WorkOrder" and its id), oldest first.' })
  @Allow(Permission.Read)
  auditTrail(@Arg('entityType') entityType: string, @Arg('entityId') entityId: string, @Args() page: PageArgs, @Ctx() ctx: HubContext) {
    requireEnterpriseWide(ctx.principal, Permission.Read);
    return paginate(ctx.em, AuditRecord, { entityType, entityId }, page);
  }

  @Query(() => AuditChainVerification, { description: 'Recomputes the whole hash chain and names the first broken link.' })
  @Allow(Permission.Read)
  async verifyAuditChain(@Ctx() ctx: HubContext) {
    requireEnterpriseWide(ctx.principal, Permission.Read);
    return Object.assign(new AuditChainVerification(), await verifyAuditChain(ctx.em));
  }
}
