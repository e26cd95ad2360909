import { type ClassType, Extensions, Field, Int, ObjectType } from 'type-graphql';
import { Permission } from '../auth/access.js';

/** Relay page info; cursors are opaque keyset positions, so any page can be reached. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  /** A promise where counting is deferred until the field is read. */
  totalCount: number | Promise<number>;
}

/** Builds the `<Name>Connection` and `<Name>Edge` types for a node type. */
export function Connection<T extends object>(node: ClassType<T>, name = node.name) {
  @ObjectType(`${name}Edge`)
  @Extensions({ allow: [Permission.Read] })
  class Edge {
    @Field() cursor!: string;
    @Field(() => node) node!: T;
  }

  @ObjectType(`${name}Connection`)
  @Extensions({ allow: [Permission.Read] })
  class ConnectionType implements Page<T> {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
    @Field(() => Int, { description: 'Number of nodes matching the filter, across all pages.' })
    totalCount!: number;
  }
  return ConnectionType;
}
