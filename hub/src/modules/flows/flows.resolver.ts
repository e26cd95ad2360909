import { Permission } from '@plantgraph/schema';
import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { MAX_PAGE_SIZE } from '../../core/paging.js';
import { FlowDeployment } from './flows.types.js';

@Resolver()
export class FlowsResolver {
  @Query(() => [FlowDeployment], { description: "The deploys of a plant's flows, newest first." })
  @Allow(Permission.ManageFlows, Permission.Read)
  flowDeployments(
    @Arg('plant') plant: string,
    @Arg('first', () => Int, { defaultValue: 20, description: `1 to ${MAX_PAGE_SIZE}.` }) first: number,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.flows.deployments(ctx.principal, plant, first);
  }
}
