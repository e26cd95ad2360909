import { ANY_CALLER, CreateApiKeyInput, Permission } from '@plantgraph/schema';
import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { HubContext } from '../graphql/context.js';
import { Allow } from '../graphql/guard.js';
import { PageArgs } from '../graphql/pagination.js';
import { ApiKeyConnection, CreateApiKeyResult, RevokeApiKeyResult, Viewer } from './api-key.types.js';

@Resolver()
export class ApiKeyResolver {
  @Query(() => Viewer, { description: 'Who you are and which roles you hold where.' })
  @Allow(ANY_CALLER)
  viewer(@Ctx() ctx: HubContext) {
    return ctx.services.apiKeys.viewer(ctx.principal);
  }

  @Query(() => ApiKeyConnection, { description: 'API keys whose grants lie within your scopes, ordered by prefix.' })
  @Allow(Permission.ManageKeys)
  apiKeys(@Args() page: PageArgs, @Ctx() ctx: HubContext) {
    return ctx.services.apiKeys.list(ctx.em, ctx.principal, page);
  }

  @Mutation(() => CreateApiKeyResult, {
    description: 'Creates a key for a machine or connector; the secret is in the result, once.',
  })
  @Allow(Permission.ManageKeys)
  createApiKey(@Arg('input') input: CreateApiKeyInput, @Ctx() ctx: HubContext) {
    return ctx.services.apiKeys.create(ctx.principal, input);
  }

  @Mutation(() => RevokeApiKeyResult, { description: 'Revokes a key at once; requests with it fail from now on.' })
  @Allow(Permission.ManageKeys)
  revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: HubContext) {
    return ctx.services.apiKeys.revoke(ctx.principal, id);
  }
}
