import { ANY_CALLER, ApiKey, Connection, CreateApiKeyInput, CreatedApiKey, Grant, InvalidInput, NotFound, Permission } from '@plantgraph/schema';
import { Arg, Args, Ctx, Extensions, Field, ID, Mutation, ObjectType, Query, Resolver, createUnionType } from 'type-graphql';
import type { HubContext } from '../graphql/context.js';
import { Allow } from '../graphql/guard.js';
import { PageArgs } from '../graphql/pagination.js';

const ApiKeyConnection = Connection(ApiKey);
const CreateApiKeyResult = createUnionType({ name: 'CreateApiKeyResult', types: () => [CreatedApiKey, InvalidInput] as const });
const RevokeApiKeyResult = createUnionType({ name: 'RevokeApiKeyResult', types: () => [ApiKey, NotFound] as const });

@ObjectType({ description: 'The caller as the hub sees it.' })
@Extensions({ allow: [ANY_CALLER] })
class Viewer {
  @Field() name!: string;
  @Field({ description: '`user` (identity provider), `api-key`, `service` (e.g. the flows), or `auth-off`.' }) kind!: string;
  @Field(() => [Grant]) grants!: Grant[];
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
}

@Resolver()
export class ApiKeyResolver {
  @Query(() => Viewer, { description: 'Who you are and which roles you hold where.' })
  @Allow(ANY_CALLER)
  viewer(@Ctx() ctx: HubContext): Viewer {
    const p = ctx.principal;
    return Object.assign(new Viewer(), { name: p.name, kind: p.kind, grants: [...p.grants], expiresAt: p.expiresAt });
  }

  @Query(() => ApiKeyConnection, { description: 'API keys whose grants lie within your scopes, ordered by prefix.' })
  @Allow(Permission.ManageKeys)
  apiKeys(@Args() page: PageArgs, @Ctx() ctx: HubContext) {
    return ctx.services.apiKeys.list(ctx.em, ctx.principal, page);
  }

  @Mutation(() => CreateApiKeyResult, { description: 'Creates a key for a machine or connector; the secret is in the result, once.' })
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
