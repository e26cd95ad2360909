import { randomUUID } from 'node:crypto';
import {
  ChangeoverRule,
  EquipmentClass,
  EquipmentCondition,
  MaintenanceOrderState,
  MaterialUse,
  Permission,
  ProductDefinitionVersion,
  type ProductSegment,
  ProductSchedulingProfile,
  ScheduleEntryKind,
  ShiftCalendar,
  type WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { Principal } from '../../core/principal.js';
import { roundQuantity } from '../../core/keys.js';
import type { RosterEntry } from './operators.js';
import { type BoardEntry, ScheduleBoard, type Span } from './schedule-board.js';

const DAY = 86_400_000;

/** What an order of a product asks of the schedule. */
export interface OrderNeeds {
  minutes: number;
  materials: BoardEntry['materials'];
  qualifications: string[];
  crew: number;
}

/** Master data the durations come from: set-up and crew per product, ideal cycle per equipment class. */
export interface NeedsContext {
  profiles: Map<string, ProductSchedulingProfile>;
  cycles: Map<string, number | null>;
}

/**
 * What an order needs: set-up plus quantity × ideal cycle (the unit's class, or for a whole line
 * the slowest class its segments name: the bottleneck), else the sum of the segments' durations;
 * the materials it consumes, the qualifications its segments ask for and the product's crew size.
 * Null when nothing gives a duration.
 */
export function orderNeeds(
  ctx: NeedsContext,
  product: string,
  segments: readonly ProductSegment[],
  quantity: number,
  unitClass: string | null,
): OrderNeeds | null {
  const profile = ctx.profiles.get(product);
  const classes = unitClass ? [unitClass] : segments.map((s) => s.equipmentClass).filter((c): c is string => !!c);
  const cycle = Math.max(0, ...classes.map((c) => ctx.cycles.get(c) ?? 0));
  const segmentMinutes = segments.reduce((sum, s) => sum + (s.durationMinutes ?? 0), 0);
  const run = cycle > 0 ? (quantity * cycle) / 60 : segmentMinutes;
  if (run <= 0) return null;
  const materials = new Map<string, { code: string; quantity: number; unit: string }>();
  for (const s of segments)
    for (const m of s.materials.filter((x) => x.use === MaterialUse.Consumed)) {
      const had = materials.get(m.materialDefinition);
      const quantityNeeded = roundQuantity((had?.quantity ?? 0) + m.quantity * quantity);
      materials.set(m.materialDefinition, {
        code: m.materialDefinition,
        quantity: quantityNeeded,
        unit: m.unitOfMeasure,
      });
    }
  return {
    minutes: Math.ceil((profile?.setupMinutes ?? 0) + run),
    materials: [...materials.values()],
    qualifications: [...new Set(segments.map((s) => s.qualification).filter((q): q is string => !!q))],
    crew: profile?.crewSize ?? 1,
  };
}

/** An order's entry on the board, but for its id and times. */
export function productionEntry(
  unitPath: string,
  order: Pick<WorkOrder, 'number' | 'state'>,
  product: string,
  needs: OrderNeeds,
): Omit<BoardEntry, 'id' | 'start' | 'end'> {
  return {
    kind: ScheduleEntryKind.Production,
    unitPath,
    orderNumber: order.number,
    product,
    orderState: order.state,
    materials: needs.materials,
    qualifications: needs.qualifications,
    crew: needs.crew,
  };
}

/** A cleaning's entry on the board. */
export function cleaningEntry(kind: ScheduleEntryKind, unitPath: string, start: number, end: number): BoardEntry {
  const none = { orderNumber: null, product: null, orderState: null, materials: [], qualifications: [], crew: 0 };
  return { id: randomUUID(), kind, unitPath, start, end, ...none };
}

export async function loadNeedsContext(tx: Tx): Promise<NeedsContext> {
  const [profiles, classes] = await Promise.all([tx.find(ProductSchedulingProfile, {}), tx.find(EquipmentClass, {})]);
  return {
    profiles: new Map(profiles.map((p) => [p.product, p])),
    cycles: new Map(classes.map((c) => [c.code, c.idealCycleTimeSeconds ?? null])),
  };
}

interface EntryRow {
  id: string;
  kind: ScheduleEntryKind;
  start: Date;
  end: Date;
  order_number: string | null;
  product: string | null;
  path: string;
  state: WorkOrderState | null;
  quantity: string | null;
  version: string | null;
}

/**
 * The schedule around [from, to] and what its checks read, in a fixed number of statements
 * whatever the number of orders (ADR 0043): entries, calendars, downtime (planned, maintenance,
 * calibration), profiles, rules, lots on hand less open reservations, and qualified people.
 */
export async function loadBoard(
  tx: Tx,
  principal: Principal,
  from: Date,
  to: Date,
  ctx: NeedsContext,
): Promise<ScheduleBoard> {
  const rows = await tx.execute<EntryRow[]>(
    `select e.id, e.kind, e.start, e."end", e.order_number, e.product, u.path, w.state, w.quantity,
            w.product_definition_version_id as version
       from schedule_entry e join equipment u on u.id = e.unit_id left join work_order w on w.id = e.work_order_id
      where e.start < ? and e."end" > ?
     union all
     -- Orders released before they were scheduled hold their line by their planned times (as release's
     -- booking check has it), so the schedule must not give that time to another order.
     select w.id, ?, w.planned_start, w.planned_end, w.number, d.code, u.path, w.state, w.quantity,
            w.product_definition_version_id
       from work_order w join equipment u on u.id = w.equipment_id
       join product_definition_version v on v.id = w.product_definition_version_id
       join product_definition d on d.id = v.product_definition_id
      where w.state in (?, ?, ?) and w.planned_start < ? and w.planned_end > ?
        and not exists (select 1 from schedule_entry e where e.work_order_id = w.id)`,
    [
      to,
      from,
      ScheduleEntryKind.Production,
      WorkOrderState.Released,
      WorkOrderState.InProgress,
      WorkOrderState.Paused,
      to,
      from,
    ],
  );
  const versionIds = [...new Set(rows.map((r) => r.version).filter((v): v is string => !!v))];
  const [versions, calendars, rules, downtime, lots, people, receipts, roster] = await Promise.all([
    versionIds.length ? tx.find(ProductDefinitionVersion, { id: { $in: versionIds } }) : [],
    tx.find(ShiftCalendar, {}),
    tx.find(ChangeoverRule, {}, { orderBy: { name: 'asc' } }),
    loadDowntime(tx, from, to),
    tx.execute<{ code: string; lot_number: string; free: string; usable: boolean; expires_at: Date | null }[]>(
      `select md.code, l.lot_number, l.status = 'Released' as usable, l.expires_at,
              l.quantity - coalesce((select sum(r.quantity - r.consumed_quantity) from material_reservation r
                                      where r.lot_id = l.id and r.status = 'Reserved'), 0) as free
         from material_lot l join material_definition md on md.id = l.material_definition_id`,
    ),
    tx.execute<{ employee_id: string; path: string | null; code: string; trained_at: Date; expires_at: Date | null }[]>(
      `select p.employee_id, u.path, q.code, q.trained_at, q.expires_at
         from qualification q join person p on p.id = q.person_id left join equipment u on u.id = p.home_equipment_id
        where p.active`,
    ),
    tx.execute<{ material: string; quantity: string; expected_at: Date }[]>(
      `select material, quantity, expected_at from planned_receipt where closed_at is null and expected_at < ?`,
      [to],
    ),
    tx.execute<RosterRow[]>(
      `select a.scope, a.shift, a.employee_id, a.valid_from, a.valid_until, a.pattern
         from shift_assignment a where exists (select 1 from person p where p.employee_id = a.employee_id and p.active)`,
    ),
  ]);
  const segmentsOf = new Map(versions.map((v) => [v.id, v.segments]));
  const spans = new Map<string, Span[]>();
  for (const d of downtime) {
    const list = spans.get(d.path) ?? [];
    const to = d.end ? new Date(d.end).getTime() : Infinity;
    list.push({ from: new Date(d.start).getTime(), to, why: d.why, maintenanceOrder: d.maintenance_order });
    spans.set(d.path, list);
  }
  const entries: BoardEntry[] = rows.map((r) => {
    const needs =
      r.version && r.product
        ? orderNeeds(ctx, r.product, segmentsOf.get(r.version) ?? [], Number(r.quantity), null)
        : null;
    return {
      id: r.id,
      kind: r.kind,
      unitPath: r.path,
      start: new Date(r.start).getTime(),
      end: new Date(r.end).getTime(),
      orderNumber: r.order_number,
      product: r.product,
      orderState: r.state,
      materials: needs?.materials ?? [],
      qualifications: needs?.qualifications ?? [],
      crew: needs?.crew ?? 1,
    };
  });
  return new ScheduleBoard({
    entries,
    calendars,
    downtime: spans,
    traits: new Map(
      [...ctx.profiles.values()].map((p) => [
        p.product,
        { product: p.product, family: p.family ?? null, allergens: p.allergens },
      ]),
    ),
    rules,
    lots: lots.map((l) => ({
      code: l.code,
      lotNumber: l.lot_number,
      free: Number(l.free),
      usable: l.usable,
      expiresAt: l.expires_at ? new Date(l.expires_at).getTime() : null,
    })),
    people: people.map((p) => ({
      employeeId: p.employee_id,
      homePath: p.path,
      code: p.code,
      from: new Date(p.trained_at).getTime(),
      until: p.expires_at ? new Date(p.expires_at).getTime() : null,
    })),
    // Walking an order through shifts may run well past its start: a horizon of weeks around it.
    receipts: receipts.map((r) => ({
      code: r.material,
      quantity: Number(r.quantity),
      at: new Date(r.expected_at).getTime(),
    })),
    roster: rosterByScope(roster),
    horizon: { from: new Date(from.getTime() - 2 * DAY), to: new Date(to.getTime() + 42 * DAY) },
    canRead: (path) => principal.can(Permission.Read, path),
  });
}

interface RosterRow {
  scope: string;
  shift: string;
  employee_id: string;
  valid_from: string;
  valid_until: string | null;
  pattern: string | null;
}

function rosterByScope(rows: readonly RosterRow[]): Map<string, RosterEntry[]> {
  const out = new Map<string, RosterEntry[]>();
  for (const r of rows) {
    const entry = {
      scope: r.scope,
      shift: r.shift,
      employeeId: r.employee_id,
      validFrom: r.valid_from,
      validUntil: r.valid_until,
      pattern: r.pattern,
    };
    const list = out.get(r.scope);
    if (list) list.push(entry);
    else out.set(r.scope, [entry]);
  }
  return out;
}

/** States in which a maintenance order still holds its equipment (until sign-off or cancelling). */
const MAINTENANCE_OPEN = [
  MaintenanceOrderState.Open,
  MaintenanceOrderState.InProgress,
  MaintenanceOrderState.Completed,
];
const BLOCKING = [
  EquipmentCondition.UnderMaintenance,
  EquipmentCondition.CalibrationDue,
  EquipmentCondition.CalibrationOverdue,
];

/**
 * What holds equipment in [from, to]: planned downtime; each open maintenance order (ADR 0048) from
 * its planned start or the start of the hold it has on the equipment, whichever is first, to its
 * planned end; a hold past its planned end (overdue), or without one, lasts until sign-off; and
 * condition records held by anything else (a CMMS, a person, a signed-off calibration's next due
 * date) from when they block until cleared.
 */
function loadDowntime(tx: Tx, from: Date, to: Date) {
  const held = `case when r.recorded_condition = ? then r.recorded_at else coalesce(r.due_at, r.recorded_at) end`;
  return tx.execute<{ path: string; start: Date; end: Date | null; why: string; maintenance_order: string | null }[]>(
    `select u.path, d.start, d."end", d.reason as why, null as maintenance_order
       from planned_downtime d join equipment u on u.id = d.equipment_id
      where d.start < ? and d."end" > ?
     union all
     select path, start, "end", why, maintenance_order from (
       select u.path, least(m.planned_start, ${held}) as start,
              case when m.planned_end > ? or r.id is null then m.planned_end end as "end",
              m.kind || ' maintenance order ' || m.number || ': ' || m.description as why, m.number as maintenance_order
         from maintenance_order m join equipment u on u.id = m.equipment_id
         left join equipment_condition_record r on r.external_reference = 'maintenance-order:' || m.number
              and r.cleared_at is null and r.recorded_condition in (?, ?, ?)
        where m.state in (?, ?, ?)) as m
      where start < ? and ("end" is null or "end" > ?)
     union all
     select u.path, ${held}, r.cleared_at, r.recorded_condition || ': ' || r.reason, null
       from equipment_condition_record r join equipment u on u.id = r.equipment_id
      where r.recorded_condition in (?, ?, ?) and (r.cleared_at is null or r.cleared_at > ?)
        and not exists (select 1 from maintenance_order m
                         where r.external_reference = 'maintenance-order:' || m.number and m.state in (?, ?, ?))`,
    [
      to,
      from,
      EquipmentCondition.UnderMaintenance,
      new Date(),
      ...BLOCKING,
      ...MAINTENANCE_OPEN,
      to,
      from,
      EquipmentCondition.UnderMaintenance,
      ...BLOCKING,
      from,
      ...MAINTENANCE_OPEN,
    ],
  );
}
