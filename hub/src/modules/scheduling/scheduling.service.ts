import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import {
  Equipment,
  Permission,
  ProductDefinitionVersion,
  type RemoveCleaningInput,
  type ScheduleCleaningInput,
  ScheduleEntry,
  ScheduleEntryKind,
  ScheduleProblemKind,
  type ScheduleWorkOrderInput,
  type UnscheduleWorkOrderInput,
  WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { insertEntities, updateEntityFields } from '../../infrastructure/database/insert-entities.js';
import type { EventSource } from '../../core/event-feed.js';
import type { Principal } from '../../core/principal.js';
import { snapshot, storedFields, type UnitOfWork, type Work } from '../../core/unit-of-work.js';
import { pathsVisible, requireAt } from '../../core/visibility.js';
import { checkText, isUuid } from '../../core/keys.js';
import { fail, invalidInput, notFound, type ScheduleProblemDetail, scheduleBlocked } from '../../core/failures.js';
import { cleaningEntry, loadBoard, loadNeedsContext, orderNeeds, productionEntry } from './board-loader.js';
import type { BoardEntry, ScheduleBoard } from './schedule-board.js';
import { scheduleChanged } from './schedule-events.js';
import { auditSubject, type LockedOrder, lockOrderRows, writePlannedTimes } from './locked-orders.js';

/** Dates as the audit stores them (ISO text), as `storedFields` gives them. */
const storedJson = (fields: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Orders one call may place; a week of a large plant fits, a runaway client does not. */
export const SCHEDULE_BATCH_LIMIT = 1000;
/** States whose orders may be placed or moved: not yet started. */
const PLANNABLE: readonly WorkOrderState[] = [WorkOrderState.Draft, WorkOrderState.Released];

/** A placement that passed every check, ready to be written. */
export interface Placement {
  board: BoardEntry;
  unit: Equipment;
  /** A loaded order (the sequencer's), or one locked as a row (`scheduleMany`). */
  order: WorkOrder | LockedOrder | null;
  existing: ScheduleEntry | null;
  note?: string | null;
}

/**
 * The production schedule: orders placed on units (or whole lines) in time, cleanings between them.
 * Every change loads the window's board once (`loadBoard`), checks all placements together against
 * it, and fails with every broken constraint (ScheduleBlocked) or writes them all, audited, with a
 * `schedule.changed` event per entry.
 */
export class SchedulingService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly events: EventSource,
  ) {}

  async schedule(principal: Principal, input: ScheduleWorkOrderInput, mustExist = false) {
    const result = await this.scheduleMany(principal, [input], mustExist);
    return Array.isArray(result) ? result[0]! : result;
  }

  scheduleMany(principal: Principal, inputs: readonly ScheduleWorkOrderInput[], mustExist = false) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      if (!inputs.length || inputs.length > SCHEDULE_BATCH_LIMIT)
        fail(invalidInput('inputs', `give 1 to ${SCHEDULE_BATCH_LIMIT} orders.`));
      const numbers = inputs.map((i) => i.number);
      if (new Set(numbers).size !== numbers.length) fail(invalidInput('inputs', 'name each order once.'));
      const orders = await lockOrderRows(tx, principal, numbers);
      const lines = [...new Set(orders.map((o) => o.equipment.path))].sort();
      await lockLines(tx, lines);
      const unitPaths = inputs.map((i, n) => i.unit ?? orders[n]!.equipment.path);
      const units = await tx.find(
        Equipment,
        { $and: [{ path: { $in: [...new Set(unitPaths)] } }, pathsVisible(principal)] },
        { populate: ['equipmentClass'] },
      );
      const versions = await tx.find(
        ProductDefinitionVersion,
        { id: { $in: [...new Set(orders.map((o) => o.versionId))] } },
        { populate: ['productDefinition'] },
      );
      const existing = await tx.find(
        ScheduleEntry,
        { workOrder: { $in: orders.map((o) => o.id) } },
        { populate: ['unit'] },
      );
      const ctx = await loadNeedsContext(tx);
      const starts = inputs.map((i) => i.start.getTime());
      const board = await loadBoard(
        tx,
        principal,
        new Date(Math.min(...starts) - 7 * DAY),
        new Date(Math.max(...starts) + 30 * DAY),
        ctx,
      );
      // An order released before it was scheduled is on the board by its planned times: not in its own way.
      for (const order of orders) board.remove(order.id);
      const placements: Placement[] = [];
      const problems: ScheduleProblemDetail[] = [];
      inputs.forEach((_input, n) => {
        const order = orders[n]!;
        const line = order.equipment.path;
        const unitPath = unitPaths[n]!;
        if (!PLANNABLE.includes(order.state))
          fail(
            invalidInput(
              `inputs[${n}].number`,
              `order ${order.number} is ${order.state}; only Draft and Released orders are scheduled.`,
            ),
          );
        if (unitPath !== line && !unitPath.startsWith(`${line}/`))
          fail(
            invalidInput(
              `inputs[${n}].unit`,
              `${unitPath} is not ${line} or a unit of it; orders run on their own line.`,
            ),
          );
        const unit = units.find((u) => u.path === unitPath) ?? fail(notFound('equipment', unitPath));
        const version = versions.find((v) => v.id === order.versionId)!;
        const product = version.productDefinition.code;
        const had = existing.find((e) => e.workOrder?.id === order.id) ?? null;
        if (mustExist && !had) fail(notFound('scheduled work order', order.number));
        const needs =
          orderNeeds(ctx, product, version.segments, order.quantity, unit.equipmentClass?.code ?? null) ??
          fail(
            invalidInput(
              `inputs[${n}].number`,
              `order ${order.number} has no duration: give ${product}'s equipment classes an ideal cycle time or its segments durations.`,
            ),
          );
        const placed = placeOn(board, unitPath, starts[n]!, needs.minutes, problems, order.number);
        const entry: BoardEntry = {
          id: had?.id ?? randomUUID(),
          ...placed,
          ...productionEntry(unitPath, order, product, needs),
        };
        board.put(entry);
        placements.push({ board: entry, unit, order, existing: had });
      });
      for (const p of placements) problems.push(...board.problems(p.board));
      if (problems.length) fail(scheduleBlocked(problems));
      return await this.write(work, board, placements);
    });
  }

  unschedule(principal: Principal, input: UnscheduleWorkOrderInput) {
    return this.uow.run(principal.name, async (work) => {
      const [order] = await lockOrders(work.tx, principal, [input.number]);
      if (order!.state !== WorkOrderState.Draft)
        fail(invalidInput('number', `order ${order!.number} is ${order!.state}; move it, or cancel it, instead.`));
      const entry =
        (await work.tx.findOne(ScheduleEntry, { workOrder: order! }, { populate: ['unit'] })) ??
        fail(notFound('scheduled work order', input.number));
      const before = snapshot(order!);
      // The order goes back to what it was before it was scheduled: due at its due date, no start.
      Object.assign(order!, { plannedStart: null, plannedEnd: entry.dueAt ?? null });
      work.audit('WorkOrderUnscheduled', order!, before);
      scheduleChanged(work, this.events.subjects, 'ScheduleEntryRemoved', entry, storedFields(entry));
      work.tx.remove(entry);
      return entry;
    });
  }

  /** Takes a cleaning or sanitation out of the schedule (orders leave it with `unscheduleWorkOrder`). */
  removeCleaning(principal: Principal, input: RemoveCleaningInput) {
    return this.uow.run(principal.name, async (work) => {
      const hidden = () => notFound('schedule entry', input.id);
      if (!isUuid(input.id)) fail(hidden());
      const entry = (await work.tx.findOne(ScheduleEntry, { id: input.id }, { populate: ['unit'] })) ?? fail(hidden());
      requireAt(principal, Permission.PlanWorkOrders, entry.unit.path, hidden);
      if (entry.kind === ScheduleEntryKind.Production)
        fail(invalidInput('id', 'this entry is an order; take it out with unscheduleWorkOrder.'));
      await lockLines(work.tx, [entry.unit.path]);
      scheduleChanged(work, this.events.subjects, 'ScheduleEntryRemoved', entry, storedFields(entry));
      work.tx.remove(entry);
      return entry;
    });
  }

  scheduleCleaning(principal: Principal, input: ScheduleCleaningInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      if (input.kind === ScheduleEntryKind.Production)
        fail(invalidInput('kind', 'a cleaning is Cleaning or Sanitation; schedule orders with scheduleWorkOrder.'));
      if (!(input.minutes >= 1 && input.minutes <= 24 * 60)) fail(invalidInput('minutes', 'give 1 to 1440 minutes.'));
      if (input.note) checkText('note', input.note, 1000);
      const hidden = () => notFound('equipment', input.unit);
      const unit = (await tx.findOne(Equipment, { path: input.unit })) ?? fail(hidden());
      requireAt(principal, Permission.PlanWorkOrders, unit.path, hidden);
      await lockLines(tx, [unit.path]);
      const start = input.start.getTime();
      const board = await loadBoard(
        tx,
        principal,
        new Date(start - 7 * DAY),
        new Date(start + 30 * DAY),
        await loadNeedsContext(tx),
      );
      const problems: ScheduleProblemDetail[] = [];
      const placed = placeOn(board, unit.path, start, input.minutes, problems, null);
      const entry = cleaningEntry(input.kind, unit.path, placed.start, placed.end);
      board.put(entry);
      problems.push(...board.problems(entry));
      if (problems.length) fail(scheduleBlocked(problems));
      const [written] = await this.write(work, board, [
        { board: entry, unit, order: null, existing: null, note: input.note },
      ]);
      return written!;
    });
  }

  /**
   * Writes checked placements: new entries in one multi-row insert (`insertEntities`; a week of a
   * plant is thousands), moved ones through the unit of work, the orders' planned times, audit and
   * events.
   */
  async write(work: Work, board: ScheduleBoard, placements: readonly Placement[]): Promise<ScheduleEntry[]> {
    const fresh: ScheduleEntry[] = [];
    const timed: WorkOrder[] = [];
    const locked: LockedOrder[] = [];
    const now = new Date();
    const written = placements.map(({ board: b, unit, order, existing, note }) => {
      const before = existing ? storedFields(existing) : undefined;
      const changeover = board.changeoverInto(b).need.minutes;
      const fields = { unit, start: new Date(b.start), end: new Date(b.end), changeoverMinutes: changeover };
      let entry = existing;
      if (!entry) {
        entry = Object.assign(new ScheduleEntry(), {
          id: b.id,
          kind: b.kind,
          workOrder: order && (order instanceof WorkOrder ? order : work.tx.getReference(WorkOrder, order.id)),
          orderNumber: order?.number ?? null,
          product: b.product,
          dueAt: order?.plannedEnd ?? null,
          note: note ?? null,
        });
        fresh.push(entry);
      }
      Object.assign(entry, fields);
      if (order) {
        // What scheduling changes of the order is its planned times: the audit's before holds those.
        const orderBefore = { plannedStart: order.plannedStart ?? null, plannedEnd: order.plannedEnd ?? null };
        Object.assign(order, { plannedStart: entry.start, plannedEnd: entry.end });
        if (order instanceof WorkOrder) {
          order.updatedAt = now;
          timed.push(order);
          // Its line is populated here; the audit names it by id, as every plain snapshot does.
          work.audit('WorkOrderScheduled', order, orderBefore, undefined, storedFields(order));
        } else {
          locked.push(order);
          const after = { ...order.stored, plannedStart: entry.start, plannedEnd: entry.end, updatedAt: now };
          work.audit('WorkOrderScheduled', auditSubject(order), orderBefore, undefined, storedJson(after));
        }
      }
      const type = existing ? 'ScheduleEntryMoved' : 'ScheduleEntryPlaced';
      scheduleChanged(work, this.events.subjects, type, entry, before);
      return entry;
    });
    await insertEntities(work.tx, ScheduleEntry, fresh);
    // The orders' planned times in one statement: most of a large batch's flush was their change sets.
    await updateEntityFields(work.tx, WorkOrder, timed, ['plannedStart', 'plannedEnd', 'updatedAt']);
    await writePlannedTimes(work.tx, locked, now);
    return written;
  }
}

/** Start and end of `minutes` of working time from `start` on the unit's calendar. */
export function placeOn(
  board: ScheduleBoard,
  unitPath: string,
  start: number,
  minutes: number,
  problems: ScheduleProblemDetail[],
  orderNumber: string | null,
): { start: number; end: number } {
  const end = board.workingTime(unitPath).finish(start, minutes);
  if (!Number.isNaN(end)) return { start, end };
  problems.push({
    kind: ScheduleProblemKind.OutsideWorkingTime,
    orderNumber,
    subject: unitPath,
    message: `${orderNumber ? `Order ${orderNumber}` : 'The cleaning'} does not fit in the working time of ${unitPath}'s calendar within six weeks of ${new Date(start).toISOString()}.`,
  });
  return { start, end: start + minutes * MINUTE };
}

/** The orders, locked, in the order named; each must be visible and plannable by the caller. */
async function lockOrders(tx: Tx, principal: Principal, numbers: readonly string[]): Promise<WorkOrder[]> {
  const found = await tx.find(
    WorkOrder,
    { $and: [{ number: { $in: [...numbers] } }, { equipment: pathsVisible(principal) }] },
    { populate: ['equipment'], lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { number: 'asc' } },
  );
  return numbers.map((number) => {
    const hidden = () => notFound('work order', number);
    const order = found.find((o) => o.number === number) ?? fail(hidden());
    requireAt(principal, Permission.PlanWorkOrders, order.equipment.path, hidden);
    return order;
  });
}

/**
 * Planners of one line take turns (a transaction lock per path and each of its ancestors, so an
 * order on a line and a cleaning on one of its units meet at the line's lock): two cannot both find
 * a slot free.
 */
export async function lockLines(tx: Tx, paths: readonly string[]): Promise<void> {
  const all = new Set(paths.flatMap((p) => p.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  await tx.execute(
    `select pg_advisory_xact_lock(h) from (select hashtextextended('plantgraph:schedule:' || p, 0) as h
       from jsonb_array_elements_text(?::jsonb) as p order by p) as lines`,
    [JSON.stringify([...all].sort())],
  );
}
