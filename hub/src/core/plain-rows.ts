import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { Tx } from '../infrastructure/database/database.js';

interface Column {
  name: string;
  column: string;
  convert: (raw: unknown) => unknown;
}

const COLUMNS = new WeakMap<object, Column[]>();

/**
 * Rows as plain objects of the entity's class, outside the identity map, for reads that only show
 * them: hydrating entities was most of such a read's time (ADR 0028). Columns come from MikroORM's
 * metadata, under `prefix` when the row holds several records (`v__id`); a relation becomes a
 * reference `{ id }`, as the loaders expect. Never change these objects or persist them.
 */
export function plainRows<T>(em: Tx, entity: EntityName<T>, rows: Record<string, unknown>[], prefix = ''): T[] {
  const meta = em.getMetadata().get(entity);
  let columns = COLUMNS.get(meta);
  if (!columns) {
    columns = Object.entries(
      meta.properties as Record<
        string,
        { fieldNames: string[]; columnTypes: string[]; kind: string; runtimeType: string }
      >,
    ).flatMap(([name, p]) =>
      p.kind === 'scalar' || p.kind === 'm:1' ? [{ name, column: p.fieldNames[0]!, convert: converter(p) }] : [],
    );
    COLUMNS.set(meta, columns);
  }
  return rows.map((row) => {
    const node: Record<string, unknown> = {};
    for (const { name, column, convert } of columns) {
      const raw = row[prefix + column];
      node[name] = raw == null ? null : convert(raw);
    }
    // The class only after the values: the ORM's accessors on its prototype would track each write.
    return Object.setPrototypeOf(node, meta.prototype as object) as T;
  });
}

/** The drivers hand timestamps, numerics and (PostgreSQL) int8 over as text, JSON sometimes too. */
function converter(p: { kind: string; columnTypes: string[]; runtimeType: string }): (raw: unknown) => unknown {
  if (p.kind === 'm:1') return (raw) => ({ id: String(raw) });
  if (p.runtimeType === 'Date') return (raw) => (raw instanceof Date ? raw : new Date(raw as string));
  if (p.runtimeType === 'string') return (raw) => String(raw);
  if (p.runtimeType === 'number') return (raw) => (typeof raw === 'string' ? Number(raw) : raw);
  if (/^jsonb?$/.test(p.columnTypes[0] ?? '')) return (raw) => (typeof raw === 'string' ? JSON.parse(raw) : raw);
  return (raw) => raw;
}

/**
 * `em.find` for reads that only show the rows: the same filter and order through the query builder,
 * the rows as `plainRows` (scalar columns and references; no collections).
 */
export async function plainFind<T extends object>(
  em: Tx,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  orderBy?: Record<string, 'asc' | 'desc'>,
): Promise<T[]> {
  const meta = em.getMetadata().get(entity);
  const columns = Object.values(meta.properties as Record<string, { name: string; kind: string }>)
    .filter((p) => p.kind === 'scalar' || p.kind === 'm:1')
    .map((p) => `r.${p.name}`);
  const qb = em
    .createQueryBuilder(entity, 'r')
    .select(columns as never)
    .where(where as never);
  if (orderBy) qb.orderBy(orderBy as never);
  return plainRows(em, entity, (await qb.execute('all', false)) as Record<string, unknown>[]);
}
