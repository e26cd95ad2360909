import { randomUUID } from 'node:crypto';
import {
  Equipment,
  Permission,
  ProductDefinitionVersion,
  ScheduleEntry,
  ScheduleEntryKind,
  type SequenceLineInput,
  SequenceProposal,
  WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import type { Principal } from '../../core/principal.js';
import type { UnitOfWork } from '../../core/unit-of-work.js';
import { pathsVisible, requireAt } from '../../core/visibility.js';
import { fail, invalidInput, notFound, type ScheduleProblemDetail, scheduleBlocked } from '../../core/failures.js';
import { cleaningEntry, loadBoard, loadNeedsContext, orderNeeds, productionEntry } from './board-loader.js';
import { changeoverBetween, NO_CHANGEOVER, related } from './changeover.js';
import type { BoardEntry } from './schedule-board.js';
import { type Change, type Job, type Plan, sequenceJobs, simulate } from './sequencer.js';
import { lockLines, type Placement, type SchedulingService } from './scheduling.service.js';
import { WorkingTime } from './working-time.js';

const DAY = 86_400_000;
/** Orders one proposal may sequence (the local search is cubic in it). */
export const SEQUENCE_LIMIT = 200;

/**
 * The sequencer applied to a line's backlog: its Draft orders not yet scheduled (or the ones named),
 * placed from `start` around what is already scheduled and the downtime, with the cleanings the
 * changeover matrix asks for; reported beside the order-of-arrival (creation) sequence, and
 * scheduled through the same checks as `scheduleWorkOrders` when `apply` is set.
 */
export class LineSequencing {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly scheduling: SchedulingService,
  ) {}

  sequence(principal: Principal, input: SequenceLineInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const hidden = () => notFound('equipment', input.line);
      const line =
        (await tx.findOne(
          Equipment,
          { $and: [{ path: input.line }, pathsVisible(principal)] },
          { populate: ['equipmentClass'] },
        )) ?? fail(hidden());
      requireAt(principal, input.apply ? Permission.PlanWorkOrders : Permission.Read, line.path, hidden);
      if (input.apply) await lockLines(tx, [line.path]);
      const scheduled = new Set(
        (await tx.find(ScheduleEntry, { workOrder: { equipment: line } }, { fields: ['workOrder'] })).map(
          (e) => e.workOrder!.id,
        ),
      );
      const orders = input.orders
        ? await tx.find(WorkOrder, { number: { $in: input.orders }, equipment: line, state: WorkOrderState.Draft })
        : (await tx.find(WorkOrder, { equipment: line, state: WorkOrderState.Draft })).filter(
            (o) => !scheduled.has(o.id),
          );
      if (input.orders && orders.length !== input.orders.length)
        fail(invalidInput('orders', `each order must be a Draft of ${line.path}.`));
      if (!orders.length || orders.length > SEQUENCE_LIMIT)
        fail(invalidInput('orders', `the backlog has ${orders.length} orders; sequence 1 to ${SEQUENCE_LIMIT}.`));
      orders.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.number.localeCompare(b.number));
      const versions = await tx.find(
        ProductDefinitionVersion,
        { id: { $in: [...new Set(orders.map((o) => o.productDefinitionVersion.id))] } },
        { populate: ['productDefinition'] },
      );
      const ctx = await loadNeedsContext(tx);
      const start = input.start.getTime();
      const board = await loadBoard(tx, principal, new Date(start - 7 * DAY), new Date(start + 42 * DAY), ctx);
      const ids = new Set(orders.map((o) => o.number));
      for (const e of board.all) if (e.orderNumber && ids.has(e.orderNumber)) board.remove(e.id);
      const jobs: (Job & { order: WorkOrder; entry: Omit<BoardEntry, 'id' | 'start' | 'end'> })[] = orders.map(
        (order) => {
          const version = versions.find((v) => v.id === order.productDefinitionVersion.id)!;
          const product = version.productDefinition.code;
          const needs =
            orderNeeds(ctx, product, version.segments, order.quantity, line.equipmentClass?.code ?? null) ??
            fail(
              invalidInput(
                'orders',
                `order ${order.number} has no duration; give ${product} cycle times or durations.`,
              ),
            );
          const entry = productionEntry(line.path, order, product, needs);
          return {
            id: order.number,
            product,
            minutes: needs.minutes,
            due: order.plannedEnd?.getTime() ?? null,
            order,
            entry,
          };
        },
      );
      // The line's time less its downtime and what is already scheduled on it.
      const busy = [
        ...[...board.data.downtime].filter(([path]) => related(path, line.path)).flatMap(([, spans]) => spans),
        ...board.all.filter((e) => related(e.unitPath, line.path)),
      ].map((s) => ('from' in s ? s : { from: s.start, to: s.end }));
      const time = new WorkingTime(board.calendarOf(line.path), board.data.horizon, busy);
      const traits = (p: string) => board.traitsOf(p)!;
      // The local search asks for the same pairs over and over: each is worked out once.
      const pairs = new Map<string, ReturnType<Change>>();
      const change: Change = (from, to) => {
        if (!from) return NO_CHANGEOVER;
        const key = `${from}\n${to}`;
        let need = pairs.get(key);
        if (!need) {
          need = changeoverBetween(board.data.rules, line.path, traits(from), traits(to));
          pairs.set(key, need);
        }
        return need;
      };
      const first = board.neighbours({ id: '', unitPath: line.path, start, end: start }).before?.product ?? null;
      const arrival = simulate(jobs, start, first, time, change);
      const plan = sequenceJobs(jobs, start, first, time, change);
      const entries = toEntries(plan, jobs, line);
      const proposal = Object.assign(new SequenceProposal(), {
        sequence: plan.slots.map((s) => s.job.id),
        changeoverMinutes: plan.changeoverMinutes,
        latenessMinutes: plan.latenessMinutes,
        arrivalChangeoverMinutes: arrival.changeoverMinutes,
        arrivalLatenessMinutes: arrival.latenessMinutes,
        applied: false,
        entries: entries.map((p) => preview(p, line)),
      });
      if (!input.apply) return proposal;
      for (const p of entries) board.put(p.board);
      const problems: ScheduleProblemDetail[] = entries.flatMap((p) => board.problems(p.board));
      if (problems.length) fail(scheduleBlocked(problems));
      const existing = await tx.find(
        ScheduleEntry,
        { workOrder: { $in: orders.map((o) => o.id) } },
        { populate: ['unit'] },
      );
      for (const p of entries) p.existing = existing.find((e) => e.workOrder?.id === p.order?.id) ?? null;
      return Object.assign(proposal, { applied: true, entries: await this.scheduling.write(work, board, entries) });
    });
  }
}

type SequencedJob = Job & { order: WorkOrder; entry: Omit<BoardEntry, 'id' | 'start' | 'end'> };

/** The plan as schedule entries: each order, and before it the cleaning the matrix asks for. */
function toEntries(plan: Plan, jobs: readonly SequencedJob[], line: Equipment): Placement[] {
  const out: Placement[] = [];
  for (const slot of plan.slots) {
    const job = jobs.find((j) => j.id === slot.job.id)!;
    if (slot.cleaning) {
      const kind = slot.cleaning.kind === 'Sanitation' ? ScheduleEntryKind.Sanitation : ScheduleEntryKind.Cleaning;
      const board = cleaningEntry(kind, line.path, slot.cleaning.start, slot.cleaning.end);
      out.push({ board, unit: line, order: null, existing: null, note: `Before ${job.order.number}` });
    }
    out.push({
      board: { id: randomUUID(), ...job.entry, start: slot.start, end: slot.end },
      unit: line,
      order: job.order,
      existing: null,
    });
  }
  return out;
}

/** An entry of a proposal that is not stored. */
function preview(p: Placement, line: Equipment): ScheduleEntry {
  return Object.assign(new ScheduleEntry(), {
    id: p.board.id,
    kind: p.board.kind,
    orderNumber: p.board.orderNumber,
    product: p.board.product,
    unit: line,
    start: new Date(p.board.start),
    end: new Date(p.board.end),
    dueAt: p.order?.plannedEnd ?? null,
    changeoverMinutes: 0,
    note: p.note ?? null,
  });
}
