import {
  Equipment,
  EquipmentLevel,
  WorkOrder,
  Permission,
  type SetShiftCalendarInput,
  ShiftCalendar,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { scopedSubscription, type StreamOptions } from '../../core/scoped-subscription.js';
import type { EventSource } from '../../core/event-feed.js';
import type { Principal } from '../../core/principal.js';
import { pathsVisible, requireAt } from '../../core/visibility.js';
import { within } from '../../core/principal.js';
import { checkPath, checkText, isEquipmentPath, underPathOf } from '../../core/keys.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import { aggregateOee, oeeFromTotals, operatingIntervals, type Interval, type OeeFigures } from './oee-calculation.js';
import { countTotals, pieceTotals, type OeePiece } from './oee-aggregation.js';
import { shiftWindows, type NamedShiftWindow } from './shift-windows.js';
import { fail, invalidInput, notFound } from '../../core/failures.js';
import { badUserInput } from '../../core/faults.js';

export interface EquipmentUsageFigures {
  path: string;
  /** Seconds in Running; unlike OEE's actual production time, short stops are not counted. */
  runningTime: number;
  producedQuantity: number;
  goodQuantity: number;
  scrapQuantity: number;
  reworkQuantity: number;
}

export enum OeeGrouping {
  Equipment = 'Equipment',
  ProductionLine = 'ProductionLine',
  Area = 'Area',
  Site = 'Site',
  Shift = 'Shift',
  Day = 'Day',
  WorkOrder = 'WorkOrder',
}

/** The equipment OEE is measured on: the machines at the bottom of the hierarchy. */
const MACHINES = [EquipmentLevel.WorkCell, EquipmentLevel.WorkUnit, EquipmentLevel.Unit, EquipmentLevel.ProductionUnit];
const LINE_LEVELS = [
  EquipmentLevel.ProductionLine,
  EquipmentLevel.ProcessCell,
  EquipmentLevel.WorkCenter,
  EquipmentLevel.ProductionUnit,
  EquipmentLevel.StorageZone,
];
const MAX_WINDOW_MS = 93 * 86_400_000;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export interface OeeRow extends OeeFigures {
  group: string;
}

export interface OeeUpdate {
  path: string;
  from: string;
  to: string;
  shift: string | null;
  oee: number | null;
  availability: number | null;
  performance: number | null;
  quality: number | null;
  goodQuantity: number;
  producedQuantity: number;
}

/** OEE, state time and downtime reasons for any part of the hierarchy and any time window. */
export class OeeService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly events: EventSource,
  ) {}

  subscribeUpdates(principal: Principal, scope: string, stream: StreamOptions = {}) {
    return scopedSubscription<OeeUpdate, Omit<OeeUpdate, 'from' | 'to'> & { from: Date; to: Date }>(
      this.events,
      principal,
      scope,
      {
        patterns: (s) => this.events.subjects.oeeUpdatedScope(s),
        what: 'OEE updates',
        stream,
        toValue: (u) => ({ ...u, from: new Date(u.from), to: new Date(u.to) }),
      },
    );
  }

  setCalendar(principal: Principal, input: SetShiftCalendarInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkPath('scope', input.scope);
      const equipment =
        (await tx.findOne(Equipment, { path: input.scope })) ?? fail(notFound('equipment', input.scope));
      requireAt(principal, Permission.ManageMasterData, equipment.path, () => notFound('equipment', input.scope));
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: input.timeZone });
      } catch {
        fail(invalidInput('timeZone', `"${input.timeZone}" is not an IANA time zone such as Europe/Berlin.`));
      }
      if (!input.shifts.length) fail(invalidInput('shifts', 'give at least one shift.'));
      for (const [i, s] of input.shifts.entries()) {
        checkText(`shifts[${i}].name`, s.name, 64);
        for (const [field, value] of [
          ['start', s.start],
          ['end', s.end],
          ...s.breaks.flatMap((b, j) => [
            [`breaks[${j}].start`, b.start],
            [`breaks[${j}].end`, b.end],
          ]),
        ] as const) {
          if (!HHMM.test(value))
            fail(invalidInput(`shifts[${i}].${field}`, `"${value}" is not a time of day as HH:MM.`));
        }
      }
      if (input.microstopThresholdSeconds != null && !(input.microstopThresholdSeconds >= 1))
        fail(invalidInput('microstopThresholdSeconds', 'must be at least 1.'));
      const existing = await tx.findOne(ShiftCalendar, { scope: input.scope });
      const before = existing ? snapshot(existing) : undefined;
      const calendar =
        existing ?? tx.create(ShiftCalendar, { scope: input.scope, timeZone: input.timeZone, shifts: [] });
      Object.assign(calendar, {
        timeZone: input.timeZone,
        shifts: JSON.parse(JSON.stringify(input.shifts)) as ShiftCalendar['shifts'],
        microstopThresholdSeconds: input.microstopThresholdSeconds ?? calendar.microstopThresholdSeconds,
      });
      work.changed('ShiftCalendarSet', calendar, input.scope, before);
      return calendar;
    });
  }

  /** Downtime by reason over every machine at `scope` and below, longest first (a Pareto chart). */
  /**
   * The parts an order's machines (its equipment and the machines below it, as OEE by work order takes
   * them) counted while it ran: from its first start to its completion, or now. Unlike OEE, counts in
   * breaks and planned downtime are included: these are what the order made, e.g. the scrap an ERP is
   * told. Two orders running on the same equipment at once both see its counts.
   */
  async orderCounts(em: Tx, principal: Principal, order: WorkOrder) {
    const counts = { goodQuantity: 0, scrapQuantity: 0, reworkQuantity: 0 };
    if (!order.actualStart) return counts;
    const { path } = await em.findOneOrFail(Equipment, { id: order.equipment.id });
    const machines = await em.find(Equipment, {
      $and: [underPathOf(path), pathsVisible(principal), { level: { $in: MACHINES } }],
    });
    const run = { from: order.actualStart, to: order.actualEnd ?? new Date() };
    if (!(run.to > run.from)) return counts;
    for (const t of await countTotals(
      em,
      machines.map((m) => ({ equipmentId: m.id, operating: [run] })),
    )) {
      counts.goodQuantity += t.good;
      counts.scrapQuantity += t.scrap;
      counts.reworkQuantity += t.rework;
    }
    return counts;
  }

  /**
   * What each machine at `scope` and below ran and made in [from, to) whatever the calendar says: usage for
   * maintenance meters. A press that runs through a break or on a Sunday wears all the same, so unlike OEE
   * nothing is cut to the planned operating time.
   */
  async usage(em: Tx, principal: Principal, scope: string, from: Date, to: Date): Promise<EquipmentUsageFigures[]> {
    const window = checkWindow(scope, from, to);
    const machines = await em.find(Equipment, machinesAt(principal, scope), { orderBy: { path: 'asc' } });
    if (!machines.length) return [];
    const calendars = await em.find(ShiftCalendar, {});
    const windows = machines.map((m) => ({ equipmentId: m.id, window }));
    const pieces = machines.map((m) => ({
      equipmentId: m.id,
      operating: [window],
      microstopThresholdMs: (calendarFor(calendars, m.path)?.microstopThresholdSeconds ?? 120) * 1000,
    }));
    const totals = await pieceTotals(em, windows, pieces);
    return machines.map((m, i) => {
      const f = oeeFromTotals({ operating: [window], ...totals[i]!, idealCycleTimeSeconds: null });
      return {
        path: m.path,
        runningTime: Math.round((f.actualProductionTime - f.microstopTime) * 1000) / 1000, // seconds to the ms
        producedQuantity: f.producedQuantity,
        goodQuantity: f.goodQuantity,
        scrapQuantity: f.scrapQuantity,
        reworkQuantity: f.reworkQuantity,
      };
    });
  }

  async downtimePareto(em: Tx, principal: Principal, scope: string, from: Date, to: Date) {
    return aggregateOee(await this.oee(em, principal, scope, from, to, OeeGrouping.Equipment)).topDowntimeReasons;
  }

  /**
   * The calendars that govern equipment the principal may read: those at or below its scopes, and
   * those above them (a site's shifts apply to its areas). Another area's calendar is not among them.
   */
  async shiftCalendars(em: Tx, principal: Principal): Promise<ShiftCalendar[]> {
    const scopes = principal.scopesFor(Permission.Read);
    const calendars = await em.find(ShiftCalendar, {}, { orderBy: { scope: 'asc' } });
    return calendars.filter((c) => principal.can(Permission.Read, c.scope) || scopes.some((s) => within(s, c.scope)));
  }

  async oee(
    em: Tx,
    principal: Principal,
    scope: string,
    from: Date,
    to: Date,
    groupBy: OeeGrouping,
  ): Promise<OeeRow[]> {
    const window = checkWindow(scope, from, to);
    const machines = await em.find(Equipment, machinesAt(principal, scope), {
      populate: ['equipmentClass'],
      orderBy: { path: 'asc' },
    });
    if (!machines.length) return [];
    const [calendars, ancestors] = await Promise.all([
      em.find(ShiftCalendar, {}),
      groupBy === OeeGrouping.ProductionLine || groupBy === OeeGrouping.Area || groupBy === OeeGrouping.Site
        ? ancestorsOf(em, machines)
        : Promise.resolve([]),
    ]);
    const orders = groupBy === OeeGrouping.WorkOrder ? await ordersRunningIn(em, window) : [];
    // First every piece to compute (a machine in a window, shift or order), then their sums in two statements.
    const parts: { group: string; piece: OeePiece; idealCycleTimeSeconds: number | null }[] = [];
    for (const m of machines) {
      const calendar = calendarFor(calendars, m.path);
      const shifts: NamedShiftWindow[] = calendar
        ? shiftWindows(calendar, window)
        : [{ ...window, breaks: [], name: 'all day', label: window.from.toISOString().slice(0, 10) }];
      const add = (group: string, operating: Interval[]) =>
        parts.push({
          group,
          piece: {
            equipmentId: m.id,
            operating,
            microstopThresholdMs: (calendar?.microstopThresholdSeconds ?? 120) * 1000,
          },
          idealCycleTimeSeconds: m.equipmentClass?.idealCycleTimeSeconds ?? null,
        });
      if (groupBy === OeeGrouping.WorkOrder) {
        // An order's window is its first start to its completion (or now), cut to the asked window.
        for (const order of orders.filter(
          (o) => m.path.startsWith(`${o.equipment.path}/`) || m.path === o.equipment.path,
        )) {
          const piece = {
            from: new Date(Math.max(order.actualStart!.getTime(), window.from.getTime())),
            to: new Date(Math.min(order.actualEnd?.getTime() ?? Date.now(), window.to.getTime())),
          };
          if (piece.to <= piece.from) continue;
          add(
            order.number,
            operatingIntervals(piece, calendar ? shiftWindows(calendar, piece) : [{ ...piece, breaks: [] }]),
          );
        }
        continue;
      }
      if (groupBy === OeeGrouping.Shift || groupBy === OeeGrouping.Day) {
        for (const shift of shifts) {
          const piece = {
            from: new Date(Math.max(shift.from.getTime(), window.from.getTime())),
            to: new Date(Math.min(shift.to.getTime(), window.to.getTime())),
          };
          add(
            groupBy === OeeGrouping.Shift ? shift.label : shift.label.slice(0, 10),
            operatingIntervals(piece, [shift]),
          );
        }
        continue;
      }
      const level = {
        [OeeGrouping.ProductionLine]: LINE_LEVELS,
        [OeeGrouping.Area]: [EquipmentLevel.Area],
        [OeeGrouping.Site]: [EquipmentLevel.Site],
      }[groupBy as string];
      const group = level
        ? (ancestors
            .filter((a) => level.includes(a.level) && m.path.startsWith(`${a.path}/`))
            .sort((a, b) => b.path.length - a.path.length)[0]?.path ?? m.path)
        : m.path;
      add(group, operatingIntervals(window, shifts));
    }
    const totals = await pieceTotals(
      em,
      machines.map((m) => ({ equipmentId: m.id, window })),
      parts.map((p) => p.piece),
    );
    const groups = new Map<string, OeeFigures[]>();
    parts.forEach((p, i) => {
      const figures = oeeFromTotals({
        operating: p.piece.operating,
        ...totals[i]!,
        idealCycleTimeSeconds: p.idealCycleTimeSeconds,
      });
      groups.set(p.group, [...(groups.get(p.group) ?? []), figures]);
    });
    return [...groups.entries()]
      .map(([group, parts]) => ({ group, ...aggregateOee(parts) }))
      .sort((a, b) => a.group.localeCompare(b.group));
  }
}

/** The machines at `scope` and below that the principal may read: what OEE and usage are measured on. */
function machinesAt(principal: Principal, scope: string) {
  return { $and: [underPathOf(scope), pathsVisible(principal), { level: { $in: MACHINES } }] };
}

/**
 * Current-shift figures for machines that reported, for live boards (see `startOeeUpdates`). The
 * database sums the shift's states and counts: the hub's memory does not grow with the shift.
 */
export async function currentShiftOee(em: Tx, machineIds: string[], now = new Date()): Promise<OeeUpdate[]> {
  const machines = await em.find(Equipment, { id: { $in: machineIds } }, { populate: ['equipmentClass'] });
  const calendars = await em.find(ShiftCalendar, {});
  const current = machines.map((m) => {
    const calendar = calendarFor(calendars, m.path);
    const shift = calendar
      ? shiftWindows(calendar, { from: new Date(now.getTime() - 1), to: now }).find((s) => s.from <= now && s.to > now)
      : undefined;
    const window = { from: shift?.from ?? new Date(now.getTime() - 8 * 3_600_000), to: now };
    const piece: OeePiece = {
      equipmentId: m.id,
      operating: operatingIntervals(window, [shift ?? { ...window, breaks: [] }]),
      microstopThresholdMs: (calendar?.microstopThresholdSeconds ?? 120) * 1000,
    };
    return { m, shift, window, piece };
  });
  const totals = await pieceTotals(
    em,
    current.map((c) => ({ equipmentId: c.m.id, window: c.window })),
    current.map((c) => c.piece),
  );
  return current.map(({ m, shift, window, piece }, i) => {
    const f = oeeFromTotals({
      operating: piece.operating,
      ...totals[i]!,
      idealCycleTimeSeconds: m.equipmentClass?.idealCycleTimeSeconds ?? null,
    });
    return {
      path: m.path,
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      shift: shift?.label ?? null,
      oee: f.oee,
      availability: f.availability,
      performance: f.performance,
      quality: f.quality,
      goodQuantity: f.goodQuantity,
      producedQuantity: f.producedQuantity,
    };
  });
}

/** The calendar nearest up the path: a line's own, else its area's, else its site's. */
function calendarFor(calendars: ShiftCalendar[], path: string): ShiftCalendar | undefined {
  return calendars
    .filter((c) => path === c.scope || path.startsWith(`${c.scope}/`))
    .sort((a, b) => b.scope.length - a.scope.length)[0];
}

function checkWindow(scope: string, from: Date, to: Date): Interval {
  if (!isEquipmentPath(scope)) throw badUserInput(`scope: "${scope}" is not an equipment path.`);
  if (!(to > from)) throw badUserInput('to must be after from.');
  if (to.getTime() - from.getTime() > MAX_WINDOW_MS) throw badUserInput('ask for at most 93 days at a time.');
  return { from, to: new Date(Math.min(to.getTime(), Date.now())) };
}

/** Orders that ran (started, and not ended before) in the window. */
function ordersRunningIn(em: Tx, window: Interval): Promise<WorkOrder[]> {
  return em.find(
    WorkOrder,
    { actualStart: { $ne: null, $lt: window.to }, $or: [{ actualEnd: null }, { actualEnd: { $gt: window.from } }] },
    { populate: ['equipment'] },
  );
}

async function ancestorsOf(em: Tx, machines: Equipment[]): Promise<Equipment[]> {
  const prefixes = new Set(
    machines.flatMap((m) =>
      m.path
        .split('/')
        .slice(0, -1)
        .map((_, i, all) => all.slice(0, i + 1).join('/')),
    ),
  );
  return em.find(Equipment, { path: { $in: [...prefixes] } });
}
