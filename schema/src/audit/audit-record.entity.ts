import { BigIntType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, ID, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Permission } from '../auth/access.js';

/**
 * One change made through the API: who did what to which record, when, why, with the values
 * before and after. Records form a hash chain (each hash covers the previous one) and the
 * database refuses to update or delete them.
 */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['entityType', 'entityId'] })
export class AuditRecord {
  [OptionalProps]?: 'at' | 'reason' | 'scope';
  @Field(() => ID) @PrimaryKey({ type: new BigIntType('string'), autoincrement: true }) id!: string;
  @Field() @Property({ type: 'timestamptz' }) at: Date = new Date();
  @Field({ description: 'Who: `user:<sub>`, `api-key:<name>`, `system:<part>`.' }) @Property() actor!: string;
  @Field({ description: 'What, in the past tense, e.g. `WorkOrderReleased`.' }) @Property() action!: string;
  @Field() @Property() entityType!: string;
  @Field() @Property() entityId!: string;
  @Field(() => GraphQLJSON, { nullable: true }) @Property({ type: 'json', nullable: true }) before?: unknown;
  @Field(() => GraphQLJSON, { nullable: true }) @Property({ type: 'json', nullable: true }) after?: unknown;
  @Field(() => String, {
    nullable: true,
    description: 'Why, where the change needs a reason (pause, cancel, correction).',
  })
  @Property({ type: 'text', nullable: true })
  reason?: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      'Where the audited record lay when it changed, which decides who may read this: its equipment path; `*` for records of the installation (API keys, flows), readable with an installation-wide grant only; null for master data shared by the enterprise, readable with an enterprise-wide grant.',
  })
  @Property({ type: 'text', nullable: true, collation: 'C' })
  scope?: string | null;
  @Field() @Property({ columnType: 'char(64)' }) previousHash!: string;
  @Field() @Property({ columnType: 'char(64)' }) hash!: string;
}
