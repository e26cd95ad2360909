import { type EntityProperty, ReferenceKind } from '@mikro-orm/core';
import { Equipment, Permission, WorkOrder, type WorkOrderState } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { Principal } from '../../core/principal.js';
import { requireAt } from '../../core/visibility.js';
import { fail, notFound } from '../../core/failures.js';

/**
 * A work order as scheduling reads and writes it, locked but not loaded as an entity: a batch of
 * 1,000 orders was mostly the ORM hydrating them, then comparing them at the commit's flush.
 */
export interface LockedOrder {
  id: string;
  number: string;
  state: WorkOrderState;
  quantity: number;
  versionId: string;
  /** The order's line, loaded (its path names where the order's audit records lie). */
  equipment: Equipment;
  plannedStart: Date | null;
  plannedEnd: Date | null;
  /** Every stored field by property name, relations as ids: the audit record's `after`. */
  stored: Record<string, unknown>;
}

interface Row {
  id: string;
  number: string;
  state: WorkOrderState;
  quantity: string;
  version_id: string;
  equipment_id: string;
  path: string;
  planned_start: Date | null;
  planned_end: Date | null;
  stored: Record<string, unknown>;
}

/** The orders, locked (`for update`), in the order named; each must be visible and plannable by the caller. */
export async function lockOrderRows(tx: Tx, principal: Principal, numbers: readonly string[]): Promise<LockedOrder[]> {
  const rows = await tx.execute<Row[]>(
    `select w.id, w.number, w.state, w.quantity, w.product_definition_version_id as version_id, w.equipment_id,
            u.path, w.planned_start, w.planned_end, to_jsonb(w) as stored
       from work_order w join equipment u on u.id = w.equipment_id
      where w.number in (select jsonb_array_elements_text(?::jsonb))
      order by w.number for update of w`,
    [JSON.stringify(numbers)],
  );
  const lines = await tx.find(Equipment, { id: { $in: [...new Set(rows.map((r) => r.equipment_id))] } });
  const toProperty = storedFieldsOf(tx);
  return numbers.map((number) => {
    const hidden = () => notFound('work order', number);
    const row = rows.find((r) => r.number === number);
    if (!row || !principal.can(Permission.Read, row.path)) fail(hidden());
    requireAt(principal, Permission.PlanWorkOrders, row.path, hidden);
    return {
      id: row.id,
      number: row.number,
      state: row.state,
      quantity: Number(row.quantity),
      versionId: row.version_id,
      equipment: lines.find((l) => l.id === row.equipment_id)!,
      plannedStart: row.planned_start ? new Date(row.planned_start) : null,
      plannedEnd: row.planned_end ? new Date(row.planned_end) : null,
      stored: toProperty(row.stored),
    };
  });
}

/**
 * Maps a row as `to_jsonb` gives it to what `storedFields` gives the entity: property names, relations
 * as ids, times as ISO text, decimals as numbers. Follows the entity's metadata, so new columns come along.
 */
function storedFieldsOf(tx: Tx): (json: Record<string, unknown>) => Record<string, unknown> {
  const props = (tx.getMetadata(WorkOrder).props as EntityProperty<WorkOrder>[]).filter(
    (p) =>
      p.persist !== false &&
      p.fieldNames?.length === 1 &&
      (p.kind === ReferenceKind.SCALAR || p.kind === ReferenceKind.MANY_TO_ONE),
  );
  return (json) => {
    const out: Record<string, unknown> = {};
    for (const p of props) {
      const value = json[p.fieldNames[0]!];
      if (value === undefined) continue;
      const type = p.columnTypes[0] ?? '';
      out[p.name] =
        value === null
          ? null
          : type.startsWith('timestamp')
            ? new Date(value as string).toISOString()
            : type.startsWith('numeric')
              ? Number(value)
              : value;
    }
    return out;
  };
}

/** A stand-in for the order in its audit records: a WorkOrder by type and id, lying at its line. */
export function auditSubject(order: LockedOrder): WorkOrder {
  return Object.assign(new WorkOrder(), { id: order.id, number: order.number, equipment: order.equipment });
}

/** The planned times of orders not loaded as entities, in one statement. */
export async function writePlannedTimes(tx: Tx, orders: readonly LockedOrder[], at: Date): Promise<void> {
  if (!orders.length) return;
  await tx.execute(
    `update work_order w set planned_start = r.planned_start, planned_end = r.planned_end, updated_at = ?
       from jsonb_to_recordset(?::jsonb) as r(id uuid, planned_start timestamptz, planned_end timestamptz)
      where w.id = r.id`,
    [at, JSON.stringify(orders.map((o) => ({ id: o.id, planned_start: o.plannedStart, planned_end: o.plannedEnd })))],
  );
}
