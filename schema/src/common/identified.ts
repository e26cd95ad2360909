import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, ObjectType } from 'type-graphql';

/**
 * Columns every stored ISA-95 object has: a stable id and when it was created and last changed.
 * Not in the GraphQL schema itself (nothing returns it); object types inherit its fields.
 * `Defaulted` names the subclass's properties that have defaults, so `em.create` may omit them.
 */
@ObjectType()
export abstract class Identified<Defaulted extends string = never> {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | Defaulted;

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field()
  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  /**
   * A new object's is its `createdAt`, the same instant: two clock reads may straddle a millisecond
   * (about 1 in 100 records on a busy hub), and a caller telling a new record from a changed one by
   * `createdAt === updatedAt` (the MaintainX connector's import outcome) then saw "Updated".
   */
  @Field()
  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date(this.createdAt);
}
