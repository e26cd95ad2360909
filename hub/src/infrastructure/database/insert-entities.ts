import { type EntityClass, type EntityProperty, ReferenceKind } from '@mikro-orm/core';
import type { Tx } from './database.js';

interface Column {
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

function describe(tx: Tx, entity: EntityClass<object>) {
  const known = columnsOf.get(entity);
  if (known) return known;
  const meta = tx.getMetadata(entity);
  const columns: Column[] = [];
  for (const prop of meta.props as EntityProperty<object>[]) {
    if (prop.persist === false || prop.formula || prop.generated || (prop.primary && prop.autoincrement)) continue;
    if (prop.kind === ReferenceKind.SCALAR) {
      const key = prop.name;
      columns.push({ name: prop.fieldNames[0]!, type: prop.columnTypes[0]!, value: (e) => toJson(e[key]) });
    } else if (prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner)) {
      if (prop.fieldNames.length !== 1)
        throw new Error(`insertEntities: ${meta.className}.${prop.name} has a composite key; not supported.`);
      const key = prop.name;
      const target = prop.targetMeta!.primaryKeys[0]!;
      columns.push({
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
