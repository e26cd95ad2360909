import type { EntityName, FilterQuery, FindOptions } from '@mikro-orm/core';
import type { Page } from '@plantgraph/schema';
import type { Tx } from '../infrastructure/database/database.js';
import { badUserInput } from './faults.js';
import { plainRows } from './plain-rows.js';

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
  load: Pick<FindOptions<T>, 'exclude' | 'populate' | 'strategy'> = {},
): Promise<Page<T>> {
  checkPageSize(args);
  const [filter, orderings] = keyset(where, args, orderBy, direction);
  const rows = await em.find(entity, filter, { ...load, orderBy: orderings, limit: args.first + 1 } as never);
  return pageOf(rows as T[], args, orderBy, () => em.count(entity, where));
}

/**
 * `paginate` for reads that only show the rows: plain objects (`plainRows`) instead of entities,
 * the relations in `read.with` (paths such as `version.definition`) joined into the same statement
 * and set on each row whole, and the columns in `read.without` left unread.
 */
export async function paginatePlain<T extends { id: string }>(
  em: Tx,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  args: PageRequest,
  orderBy: keyof T & string,
  direction: 'asc' | 'desc',
  read: { with?: readonly string[]; without?: readonly string[] } = {},
): Promise<Page<T>> {
  checkPageSize(args);
  const [filter, orderings] = keyset(where, args, orderBy, direction);
  const meta = em.getMetadata().get(entity);
  const own = Object.values(meta.properties as Record<string, { name: string; kind: string }>)
    .filter((p) => (p.kind === 'scalar' || p.kind === 'm:1') && !read.without?.includes(p.name))
    .map((p) => `r.${p.name}`);
  const qb = em
    .createQueryBuilder(entity, 'r')
    .select(own as never)
    .where(filter as never)
    .orderBy(orderings)
    .limit(args.first + 1);
  // Shorter paths first, so a relation's parent is joined before it.
  const joins = [...(read.with ?? [])].sort().map((path, i) => ({ path, alias: `j${i}` }));
  const aliasOf = (path: string) => joins.find((j) => j.path === path)?.alias ?? 'r';
  for (const { path, alias } of joins) {
    const parts = path.split('.');
    qb.leftJoinAndSelect(`${aliasOf(parts.slice(0, -1).join('.'))}.${parts.at(-1)}` as never, alias);
  }
  const rows = (await qb.execute('all', false)) as Record<string, unknown>[];
  const nodes = plainRows(em, entity, rows);
  const records = new Map<string, Record<string, unknown>[]>([['', nodes as Record<string, unknown>[]]]);
  for (const { path, alias } of joins) {
    const parts = path.split('.');
    const parentPath = parts.slice(0, -1).join('.');
    const related = plainRows<Record<string, unknown>>(em, relationTarget(em, entity, path), rows, `${alias}__`);
    records.set(path, related);
    records.get(parentPath)!.forEach((parent, i) => {
      if (rows[i]![`${alias}__id`] != null) parent[parts.at(-1)!] = related[i];
    });
  }
  return pageOf(nodes, args, orderBy, () => em.count(entity, where));
}

/** The entity a relation path of `entity` leads to. */
function relationTarget<T>(em: Tx, entity: EntityName<T>, path: string): EntityName<Record<string, unknown>> {
  let meta = em.getMetadata().get(entity) as { properties: object; class: unknown };
  for (const name of path.split('.'))
    meta = (meta.properties as Record<string, { targetMeta: typeof meta }>)[name]!.targetMeta;
  return meta.class as EntityName<Record<string, unknown>>;
}

/** The filter beyond the cursor, and the order of a keyset page. */
function keyset<T>(
  where: FilterQuery<T>,
  args: PageRequest,
  orderBy: string,
  direction: 'asc' | 'desc',
): [FilterQuery<T>, never] {
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
  return [filter, orderings];
}

/**
 * The first page of each parent's list in one statement, whatever the number of parents: rows are
 * numbered per parent (`row_number() over (partition by <fk> …)`) and cut at `first + 1`. Keyset
 * as `paginate`; `count(parentIds)` runs only if some page's `totalCount` is read.
 */
export async function pagesPerParent<T extends { id: string }>(
  em: Tx,
  entity: EntityName<T>,
  fk: keyof T & string,
  parentIds: readonly string[],
  args: PageRequest,
  orderBy: keyof T & string,
  direction: 'asc' | 'desc',
): Promise<Map<string, Page<T>>> {
  checkPageSize(args);
  const meta = em.getMetadata().get(entity);
  const properties = meta.properties as Record<string, { fieldNames: string[]; columnTypes: string[] }>;
  const column = (property: string) => `"${properties[property]!.fieldNames[0]}"`;
  const [fkColumn, orderColumn, idColumn] = [column(fk), column(orderBy), column('id')];
  const fkType = properties[fk]!.columnTypes[0];
  const order = `${orderColumn} ${direction}${orderBy === 'id' ? '' : `, ${idColumn} ${direction}`}`;
  const params: unknown[] = [JSON.stringify(parentIds)];
  let beyond = '';
  if (args.after) {
    const [value, id] = decodeCursor(args.after);
    beyond =
      orderBy === 'id'
        ? `and ${idColumn} ${direction === 'asc' ? '>' : '<'} ?`
        : `and (${orderColumn}, ${idColumn}) ${direction === 'asc' ? '>' : '<'} (?, ?)`;
    params.push(...(orderBy === 'id' ? [id] : [value, id]));
  }
  params.push(args.first + 1);
  const rows = await em.execute<Record<string, unknown>[]>(
    `select * from (select t.*, row_number() over (partition by ${fkColumn} order by ${order}) as page_rank
       from "${meta.tableName}" t
      where ${fkColumn} in (select jsonb_array_elements_text(?::jsonb)::${fkType}) ${beyond}) ranked
     where page_rank <= ? order by ${fkColumn}, page_rank`,
    params,
  );
  const byParent = new Map<string, T[]>(parentIds.map((id) => [id, []]));
  const nodes = plainRows(em, entity, rows);
  for (const [i, row] of rows.entries()) byParent.get(String(row[fkColumn.slice(1, -1)]))?.push(nodes[i]!);
  let counts: Promise<Map<string, number>> | undefined;
  const countOf = async (parent: string) => {
    counts ??= em
      .execute<{ parent: string; n: string | number }[]>(
        `select ${fkColumn} as parent, count(*) as n from "${meta.tableName}"
          where ${fkColumn} in (select jsonb_array_elements_text(?::jsonb)::${fkType}) group by ${fkColumn}`,
        [JSON.stringify(parentIds)],
      )
      .then((found) => new Map(found.map((r) => [String(r.parent), Number(r.n)])));
    return (await counts).get(parent) ?? 0;
  };
  return new Map(parentIds.map((id) => [id, pageOf(byParent.get(id)!, args, orderBy, () => countOf(id))]));
}

/**
 * A page from up to `first + 1` rows in order. `totalCount` is counted when read (GraphQL reads it
 * only when the operation selects it), once: a page nobody counts costs no `count(*)`.
 */
function pageOf<T extends { id: string }>(
  rows: T[],
  args: PageRequest,
  orderBy: keyof T & string,
  count: () => Promise<number>,
): Page<T> {
  const hasNextPage = rows.length > args.first;
  const nodes = hasNextPage ? rows.slice(0, args.first) : rows;
  const edges = nodes.map((node) => ({ node, cursor: encodeCursor(node[orderBy], node.id) }));
  let totalCount: Promise<number> | undefined;
  return {
    edges,
    get totalCount() {
      totalCount ??= count();
      return totalCount;
    },
    pageInfo: {
      hasNextPage,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

function checkPageSize(args: PageRequest) {
  if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_PAGE_SIZE) {
    throw badUserInput(`first must be between 1 and ${MAX_PAGE_SIZE} (got ${args.first}); page on with the endCursor.`);
  }
}

function encodeCursor(value: unknown, id: string): string {
  return Buffer.from(JSON.stringify([value instanceof Date ? value.toISOString() : value, id])).toString('base64url');
}

/** A cursor's order value and id, or null when it is not a cursor of a list. */
export function readCursor(cursor: string): [unknown, string] | null {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string') return [parsed[0], parsed[1]];
  } catch {
    /* not a cursor */
  }
  return null;
}

function decodeCursor(cursor: string): [unknown, string] {
  const read = readCursor(cursor);
  if (read) return read;
  throw badUserInput(
    `after: "${cursor.slice(0, 40)}" is not a cursor from this list; pass a pageInfo.endCursor unchanged.`,
  );
}
