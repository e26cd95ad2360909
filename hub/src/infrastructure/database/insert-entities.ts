import { type EntityClass, type EntityProperty, helper, ReferenceKind } from '@mikro-orm/core';
import type { Tx } from './database.js';

interface Column {
  property: string;
  name: string;
  type: string;
  value: (entity: Record<string, unknown>) => unknown;
}

const columnsOf = new WeakMap<object, { table: string; columns: Column[] }>();

/**
 * Inserts new entities with one statement, whatever their number: a multi-row insert over a JSON array
 * (`jsonb_to_recordset`, as the signal ingest writes), instead of the unit of work's change set per
 * entity. The columns come from the ORM's metadata, so they follow the entity. The entities stay
 * unmanaged (not in the transaction's identity map): for rows written once and not changed again in the
 * same transaction, such as imported Drafts. Ids must be assigned in code (uuid defaults), not by the
 * database.
 */
export async function insertEntities<T extends object>(tx: Tx, entity: EntityClass<T>, rows: readonly T[]) {
  if (!rows.length) return;
  const { table, columns } = describe(tx, entity);
  const records = rows.map((row) =>
    Object.fromEntries(columns.map((c) => [c.name, c.value(row as Record<string, unknown>)])),
  );
  const names = columns.map((c) => `"${c.name}"`).join(', ');
  const types = columns.map((c) => `"${c.name}" ${c.type}`).join(', ');
  await tx.execute(
    `insert into "${table}" (${names}) select ${names} from jsonb_to_recordset(?::jsonb) as r(${types})`,
    [JSON.stringify(records)],
  );
}

/**
 * Writes `fields` of managed entities, already set in code, with one statement over a JSON array instead
 * of the unit of work's change set per entity, then tells the ORM they are as stored, so the commit's
 * flush writes nothing more for them. The only place the hub resets the ORM's snapshot (its internal
 * `__originalEntityData`; `@mikro-orm/*` is pinned exactly for that reason).
 */
export async function updateEntityFields<T extends object>(
  tx: Tx,
  entity: EntityClass<T>,
  rows: readonly T[],
  fields: readonly (keyof T & string)[],
) {
  if (!rows.length) return;
  const { table, columns } = describe(tx, entity);
  const column = (property: string) =>
    columns.find((c) => c.property === property) ??
    fail(`updateEntityFields: ${table}.${property} is not a stored column.`);
  const id = column(tx.getMetadata(entity).primaryKeys[0]!);
  const used = [id, ...fields.map(column)];
  const records = rows.map((row) =>
    Object.fromEntries(used.map((c) => [c.name, c.value(row as Record<string, unknown>)])),
  );
  const set = used
    .slice(1)
    .map((c) => `"${c.name}" = r."${c.name}"`)
    .join(', ');
  const types = used.map((c) => `"${c.name}" ${c.type}`).join(', ');
  await tx.execute(
    `update "${table}" t set ${set} from jsonb_to_recordset(?::jsonb) as r(${types}) where t."${id.name}" = r."${id.name}"`,
    [JSON.stringify(records)],
  );
  const comparator = tx.getComparator();
  for (const row of rows) helper(row).__originalEntityData = comparator.prepareEntity(row);
}

function fail(message: string): never {
  throw new Error(message);
}

function describe(tx: Tx, entity: EntityClass<object>) {
  const known = columnsOf.get(entity);
  if (known) return known;
  const meta = tx.getMetadata(entity);
  const columns: Column[] = [];
  for (const prop of meta.props as EntityProperty<object>[]) {
    if (prop.persist === false || prop.formula || prop.generated || (prop.primary && prop.autoincrement)) continue;
    if (prop.kind === ReferenceKind.SCALAR) {
      const key = prop.name;
      columns.push({
        property: key,
        name: prop.fieldNames[0]!,
        type: prop.columnTypes[0]!,
        value: (e) => toJson(e[key]),
      });
    } else if (prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner)) {
      if (prop.fieldNames.length !== 1)
        throw new Error(`insertEntities: ${meta.className}.${prop.name} has a composite key; not supported.`);
      const key = prop.name;
      const target = prop.targetMeta!.primaryKeys[0]!;
      columns.push({
        property: key,
        name: prop.fieldNames[0]!,
        type: prop.columnTypes[0]!,
        value: (e) => (e[key] == null ? null : (e[key] as Record<string, unknown>)[target]),
      });
    } else if (prop.kind !== ReferenceKind.ONE_TO_MANY && prop.kind !== ReferenceKind.MANY_TO_MANY) {
      throw new Error(`insertEntities: ${meta.className}.${prop.name} (${prop.kind}) is not supported.`);
    }
  }
  const described = { table: meta.tableName, columns };
  columnsOf.set(entity, described);
  return described;
}

/** Dates as ISO text (the recordset's timestamptz reads them); JSON values as they are (jsonb columns). */
function toJson(value: unknown): unknown {
  if (value === undefined) return null;
  return value instanceof Date ? value.toISOString() : value;
}
