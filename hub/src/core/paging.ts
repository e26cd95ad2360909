import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { Page } from '@plantgraph/schema';
import type { Tx } from '../infrastructure/database/database.js';
import { badUserInput } from './faults.js';

export const MAX_PAGE_SIZE = 500;

/** Which page of a list: at most `first` nodes after the cursor `after` (a previous page's `endCursor`). */
export interface PageRequest {
  first: number;
  after?: string | null;
}

/**
 * One Relay page by keyset: ordered by `orderBy` then `id`, both encoded in the cursor, so page
 * 10,000 costs what page 1 costs and there is no cap on how far one can page.
 */
export async function paginate<T extends { id: string }>(
  em: Tx,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  args: PageRequest,
  orderBy: keyof T & string = 'id',
  direction: 'asc' | 'desc' = 'asc',
): Promise<Page<T>> {
  if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_PAGE_SIZE) {
    throw badUserInput(`first must be between 1 and ${MAX_PAGE_SIZE} (got ${args.first}); page on with the endCursor.`);
  }
  let filter = where;
  if (args.after) {
    const [value, id] = decodeCursor(args.after);
    const beyond = direction === 'asc' ? '$gt' : '$lt';
    const after =
      orderBy === 'id'
        ? { id: { [beyond]: id } }
        : { $or: [{ [orderBy]: { [beyond]: value } }, { [orderBy]: value, id: { [beyond]: id } }] };
    filter = { $and: [where, after] } as FilterQuery<T>;
  }
  const orderings = (orderBy === 'id' ? { id: direction } : { [orderBy]: direction, id: direction }) as never;
  const [rows, totalCount] = await Promise.all([
    em.find(entity, filter, { orderBy: orderings, limit: args.first + 1 }),
    em.count(entity, where),
  ]);
  const hasNextPage = rows.length > args.first;
  const nodes = hasNextPage ? rows.slice(0, args.first) : rows;
  const edges = nodes.map((node) => ({ node, cursor: encodeCursor(node[orderBy], node.id) }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

function encodeCursor(value: unknown, id: string): string {
  return Buffer.from(JSON.stringify([value instanceof Date ? value.toISOString() : value, id])).toString('base64url');
}

function decodeCursor(cursor: string): [unknown, string] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string') return [parsed[0], parsed[1]];
  } catch {
    /* reported below */
  }
  throw badUserInput(
    `after: "${cursor.slice(0, 40)}" is not a cursor from this list; pass a pageInfo.endCursor unchanged.`,
  );
}
