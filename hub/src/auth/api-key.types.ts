import { ANY_CALLER, ApiKey, Connection, CreatedApiKey, Grant, InvalidInput, NotFound } from '@plantgraph/schema';
import { createUnionType, Extensions, Field, ObjectType } from 'type-graphql';

export const ApiKeyConnection = Connection(ApiKey);
export const CreateApiKeyResult = createUnionType({
  name: 'CreateApiKeyResult',
  types: () => [CreatedApiKey, InvalidInput] as const,
});
export const RevokeApiKeyResult = createUnionType({
  name: 'RevokeApiKeyResult',
  types: () => [ApiKey, NotFound] as const,
});

@ObjectType({ description: 'The caller as the hub sees it.' })
@Extensions({ allow: [ANY_CALLER] })
export class Viewer {
  @Field() name!: string;
  @Field({ description: '`user` (identity provider), `api-key`, `service` (e.g. the flows), or `auth-off`.' })
  kind!: string;
  @Field(() => [Grant]) grants!: Grant[];
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
}
