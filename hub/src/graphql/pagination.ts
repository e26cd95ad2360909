import { ArgsType, Field, Int } from 'type-graphql';
import { MAX_PAGE_SIZE, type PageRequest } from '../core/paging.js';

@ArgsType()
export class PageArgs implements PageRequest {
  @Field(() => Int, { defaultValue: 50, description: `Nodes per page, 1 to ${MAX_PAGE_SIZE}.` }) first!: number;
  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page.' }) after?: string | null;
}
