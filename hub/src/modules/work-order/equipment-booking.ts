import {
  type Equipment,
  type ProductSegment,
  ReleaseProblem,
  ReleaseProblemKind as K,
  type WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';

/** Orders that hold their equipment: released and not yet completed or cancelled. */
const HOLDING = [WorkOrderState.Released, WorkOrderState.InProgress, WorkOrderState.Paused];

/** An assignment of a segment whose equipment exists and is visible. */
export interface AssignedEquipment {
  segment: ProductSegment;
  equipment: Equipment;
}

const problem = (kind: K, segment: string | null, subject: string, message: string) =>
  Object.assign(new ReleaseProblem(), { kind, segment, subject, message });

/** Whether two planned windows overlap; an order without both times overlaps every other. */
function overlaps(
  a: Pick<WorkOrder, 'plannedStart' | 'plannedEnd'>,
  b: Pick<WorkOrder, 'plannedStart' | 'plannedEnd'>,
) {
  if (!a.plannedStart || !a.plannedEnd || !b.plannedStart || !b.plannedEnd) return true;
  return a.plannedStart < b.plannedEnd && b.plannedStart < a.plannedEnd;
}

const when = (o: Pick<WorkOrder, 'plannedStart' | 'plannedEnd'>) =>
  o.plannedStart && o.plannedEnd
    ? `${o.plannedStart.toISOString()} – ${o.plannedEnd.toISOString()}`
    : 'without a planned start and end';

/**
 * What release must refuse about where assigned equipment is and whether it is free: a unit outside
 * the order's line (unless the step in the master record names it), and a unit another released or
 * running order holds in an overlapping planned window (any two, when either has no planned window).
 * Releases assigning the same units take turns (a transaction lock per unit), so two of them cannot
 * both find a unit free.
 */
export async function bookingProblems(
  tx: Tx,
  order: WorkOrder,
  assigned: AssignedEquipment[],
): Promise<ReleaseProblem[]> {
  const problems: ReleaseProblem[] = [];
  const line = order.equipment.path;
  for (const { segment, equipment } of assigned) {
    if (equipment.path === line || equipment.path.startsWith(`${line}/`)) continue;
    if (segment.outsideEquipment?.includes(equipment.path)) continue;
    problems.push(
      problem(
        K.EquipmentOutsideLine,
        segment.code,
        equipment.path,
        `Segment ${segment.code}: ${equipment.path} lies outside the order's line ${line}; assign equipment of the line, or name it in the step's outsideEquipment in the master record.`,
      ),
    );
  }
  const paths = [...new Set(assigned.map((a) => a.equipment.path))].sort();
  if (!paths.length) return problems;
  await tx.execute(
    `select pg_advisory_xact_lock(h) from (select hashtextextended('plantgraph:booking:' || p, 0) as h
       from jsonb_array_elements_text(?::jsonb) as p order by p) as units`,
    [JSON.stringify(paths)],
  );
  const others = await tx.execute<
    { number: string; planned_start: Date | null; planned_end: Date | null; assignments: { equipment: string }[] }[]
  >(
    `select number, planned_start, planned_end, assignments from work_order
      where state in (select jsonb_array_elements_text(?::jsonb)) and id <> ?
        and exists (select 1 from jsonb_array_elements(assignments) as a
                     where a->>'equipment' in (select jsonb_array_elements_text(?::jsonb)))
      order by number`,
    [JSON.stringify(HOLDING), order.id, JSON.stringify(paths)],
  );
  for (const row of others) {
    const other = {
      plannedStart: row.planned_start && new Date(row.planned_start),
      plannedEnd: row.planned_end && new Date(row.planned_end),
    };
    if (!overlaps(order, other)) continue;
    const held = new Set(row.assignments.map((a) => a.equipment));
    for (const { segment, equipment } of assigned) {
      if (!held.has(equipment.path)) continue;
      problems.push(
        problem(
          K.EquipmentDoubleBooked,
          segment.code,
          equipment.path,
          `Segment ${segment.code}: ${equipment.path} is assigned to order ${row.number} (${when(other)}), which overlaps this order (${when(order)}); plan them apart or assign another unit.`,
        ),
      );
    }
  }
  return problems;
}
