import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, InputType, ObjectType } from 'type-graphql';
import { Identified } from '../common/identified.js';
import { Permission, Role } from './access.js';

/** A role held over a part of the hierarchy (a path prefix such as `acme/berlin`, or `*`). */
@ObjectType()
@InputType('GrantInput')
@Extensions({ allow: [Permission.ManageKeys] })
export class Grant {
  @Field(() => Role) role!: Role;
  @Field({ description: 'Path prefix the role covers, e.g. `acme/berlin/assembly`; `*` for the whole installation.' })
  scope!: string;
}

/** A credential for a machine or connector. Only a hash of the secret is stored. */
@ObjectType()
@Extensions({ allow: [Permission.ManageKeys] })
@Entity()
export class ApiKey extends Identified<'grants'> {
  @Field() @Property() name!: string;
  /** The public part of the key, used to find it; the secret follows it in the token. */
  @Field({ description: 'The first characters of the key, to recognise it in lists and logs.' })
  @Property({ unique: true })
  prefix!: string;
  @Property({ columnType: 'char(64)' }) secretHash!: string;
  @Field(() => [Grant]) @Property({ type: 'json' }) grants: Grant[] = [];
  @Field() @Property() createdBy!: string;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) expiresAt?: Date | null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) revokedAt?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Updated at most once a minute.' })
  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date | null;
}

@InputType()
export class CreateApiKeyInput {
  @Field({ description: 'What uses the key, e.g. `erp-connector` or `line-1-gateway`.' }) name!: string;
  @Field(() => [Grant]) grants!: Grant[];
  @Field(() => Date, { nullable: true }) expiresAt?: Date | null;
}

@ObjectType({ description: 'A new key. The secret is shown only here, once; store it now.' })
@Extensions({ allow: [Permission.ManageKeys] })
export class CreatedApiKey {
  @Field(() => ApiKey) apiKey!: ApiKey;
  @Field({ description: 'Send as `Authorization: Bearer <secret>`.' }) secret!: string;
}
