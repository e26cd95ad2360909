import { Permission } from '@plantgraph/schema';
import { GraphQLError } from 'graphql';
import { Arg, Ctx, Extensions, Field, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { MAX_PAGE_SIZE } from '../../core/paging.js';
import { requireEnterpriseWide } from '../../core/visibility.js';

@ObjectType({ description: 'One deploy of a plant\'s flows (from the flow editor, or `plantgraph flows import`).' })
@Extensions({ allow: [Permission.Read] })
export class FlowDeployment {
  @Field(() => ID, { description: 'The revision; higher is newer.' }) revision!: string;
  @Field() plant!: string;
  @Field({ description: 'Who deployed: the hub principal\'s name (e.g. `user:alice`, `api-key:ci`, `cli`).' }) deployedBy!: string;
  @Field() deployedAt!: Date;
  @Field({ description: '`editor` (a deploy in Node-RED) or `cli` (an import).' }) origin!: string;
  @Field(() => Int, { description: 'Nodes in the flows, without tabs, subflow definitions and groups.' }) nodeCount!: number;
  @Field({ description: 'SHA-256 of the stored flows text.' }) sha256!: string;
}

/** A plant's flows serve the whole installation, so their history takes an enterprise-wide grant. */
@Resolver()
export class FlowsResolver {
  @Query(() => [FlowDeployment], { description: 'The deploys of a plant\'s flows, newest first.' })
  @Allow(Permission.ManageFlows, Permission.Read)
  async flowDeployments(@Arg('plant') plant: string, @Arg('first', () => Int, { defaultValue: 20, description: `1 to ${MAX_PAGE_SIZE}.` }) first: number, @Ctx() ctx: HubContext) {
    requireEnterpriseWide(ctx.principal, Permission.Read);
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new GraphQLError(`first must be between 1 and ${MAX_PAGE_SIZE} (got ${first}).`, { extensions: { code: 'BAD_USER_INPUT' } });
    const rows = await ctx.services.flows.revisions(plant, first);
    return rows.map((r) => Object.assign(new FlowDeployment(), { revision: r.id, plant: r.plant, deployedBy: r.deployedBy, deployedAt: r.deployedAt, origin: r.origin, nodeCount: r.nodeCount, sha256: r.sha256 }));
  }
}
