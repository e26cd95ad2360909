import {
  ChangeoverRule,
  DispatchReadiness,
  type EnterPlannedDowntimeInput,
  Equipment,
  Permission,
  PlannedDowntime,
  ProductDefinition,
  ProductSchedulingProfile,
  RequiredCleaning,
  ScheduleEntry,
  ScheduleProblemKind,
  type SetChangeoverRuleInput,
  type SetProductSchedulingProfileInput,
  ScheduleSlot,
  WorkOrderState,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { EventSource } from '../../core/event-feed.js';
import type { Principal } from '../../core/principal.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import { pathsVisible, requireAt, requireEnterpriseWide } from '../../core/visibility.js';
import { checkKey, checkText, underPathOf } from '../../core/keys.js';
import { fail, invalidInput, notFound } from '../../core/failures.js';
import { scopedSubscription, type StreamOptions } from '../../core/scoped-subscription.js';
import { loadBoard, loadNeedsContext } from './board-loader.js';
import { PRODUCT_SET } from './changeover.js';
import type { ScheduleChange } from './schedule-events.js';

const DAY = 86_400_000;
const DONE: WorkOrderState[] = [
  WorkOrderState.Completed,
  WorkOrderState.UnderReview,
  WorkOrderState.ReleasedToStock,
  WorkOrderState.Rejected,
  WorkOrderState.Cancelled,
];
const RUNNING: WorkOrderState[] = [WorkOrderState.InProgress, WorkOrderState.Paused];

/** The planner's data (changeover matrix, product profiles, planned downtime) and the schedule's reads. */
export class SchedulingPlanService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly events: EventSource,
  ) {}

  setChangeoverRule(principal: Principal, input: SetChangeoverRuleInput) {
    return this.uow.run(principal.name, async (work) => {
      checkKey('name', input.name);
      const hidden = () => notFound('equipment', input.scope);
      const scope = (await work.tx.findOne(Equipment, { path: input.scope })) ?? fail(hidden());
      requireAt(principal, Permission.ManageMasterData, scope.path, hidden);
      for (const side of ['fromProducts', 'toProducts'] as const)
        if (!PRODUCT_SET.test(input[side]))
          fail(invalidInput(side, '"*", product:<code>, family:<name>, contains:<allergen> or free-of:<allergen>.'));
      if (!(input.minutes >= 0 && input.minutes <= 7 * 24 * 60)) fail(invalidInput('minutes', 'give 0 to 10080.'));
      const rule = (await work.tx.findOne(ChangeoverRule, { name: input.name })) ?? null;
      if (rule)
        requireAt(principal, Permission.ManageMasterData, rule.scope, () => notFound('changeover rule', input.name));
      const before = rule ? snapshot(rule) : undefined;
      const fields = { ...input, scope: scope.path };
      const saved = rule ? Object.assign(rule, fields) : work.tx.create(ChangeoverRule, fields);
      work.audit(rule ? 'ChangeoverRuleChanged' : 'ChangeoverRuleCreated', saved, before);
      return saved;
    });
  }

  setProfile(principal: Principal, input: SetProductSchedulingProfileInput) {
    return this.uow.run(principal.name, async (work) => {
      requireEnterpriseWide(principal, Permission.ManageMasterData);
      if (!(await work.tx.count(ProductDefinition, { code: input.product })))
        fail(notFound('product definition', input.product));
      if (input.family) checkKey('family', input.family);
      for (const [i, a] of input.allergens.entries()) checkKey(`allergens[${i}]`, a);
      if (!(input.setupMinutes >= 0 && input.setupMinutes <= 24 * 60))
        fail(invalidInput('setupMinutes', 'give 0 to 1440.'));
      if (!(input.crewSize >= 0 && input.crewSize <= 100)) fail(invalidInput('crewSize', 'give 0 to 100.'));
      const had = await work.tx.findOne(ProductSchedulingProfile, { product: input.product });
      const before = had ? snapshot(had) : undefined;
      const fields = { ...input, family: input.family ?? null, allergens: [...new Set(input.allergens)].sort() };
      const saved = had ? Object.assign(had, fields) : work.tx.create(ProductSchedulingProfile, fields);
      work.audit(had ? 'ProductSchedulingProfileChanged' : 'ProductSchedulingProfileCreated', saved, before);
      return saved;
    });
  }

  enterDowntime(principal: Principal, input: EnterPlannedDowntimeInput) {
    return this.uow.run(principal.name, async (work) => {
      const hidden = () => notFound('equipment', input.equipment);
      const equipment = (await work.tx.findOne(Equipment, { path: input.equipment })) ?? fail(hidden());
      requireAt(principal, Permission.PlanWorkOrders, equipment.path, hidden);
      if (!(input.end > input.start)) fail(invalidInput('end', 'must be after start.'));
      checkText('reason', input.reason, 1000);
      const downtime = work.tx.create(PlannedDowntime, { ...input, equipment });
      work.audit('PlannedDowntimeEntered', downtime);
      return downtime;
    });
  }

  rules(em: Tx, principal: Principal) {
    return em
      .find(ChangeoverRule, {}, { orderBy: { name: 'asc' } })
      .then((rules) => rules.filter((r) => principal.can(Permission.Read, r.scope)));
  }

  profiles(em: Tx, principal: Principal) {
    if (!principal.canAnywhere(Permission.Read)) return [];
    return em.find(ProductSchedulingProfile, {}, { orderBy: { product: 'asc' } });
  }

  downtime(em: Tx, principal: Principal, scope: string, from: Date, to: Date) {
    return em.find(
      PlannedDowntime,
      {
        $and: [
          { equipment: { $and: [underPathOf(scope), pathsVisible(principal)] } },
          { start: { $lt: to } },
          { end: { $gt: from } },
        ],
      },
      { populate: ['equipment'], orderBy: { start: 'asc' } },
    );
  }

  /** The schedule of `scope` in [from, to], each entry with its changeover and every conflict it has. */
  async schedule(em: Tx, principal: Principal, scope: string, from: Date, to: Date): Promise<ScheduleSlot[]> {
    if (!(to > from) || to.getTime() - from.getTime() > 92 * DAY)
      fail(invalidInput('to', 'give a window of up to 92 days, ending after it starts.'));
    const entries = await em.find(
      ScheduleEntry,
      {
        $and: [
          { unit: { $and: [underPathOf(scope), pathsVisible(principal)] } },
          { start: { $lt: to } },
          { end: { $gt: from } },
        ],
      },
      { populate: ['unit', 'workOrder'], orderBy: { start: 'asc', id: 'asc' } },
    );
    return this.slots(em, principal, entries, from, to);
  }

  /** What a work center runs next, in order: its entries not yet done, with state and readiness. */
  async dispatchList(em: Tx, principal: Principal, workCenter: string, first: number): Promise<ScheduleSlot[]> {
    if (!(first >= 1 && first <= 500)) fail(invalidInput('first', 'give 1 to 500.'));
    const now = new Date();
    const entries = await em.find(
      ScheduleEntry,
      {
        $and: [
          { unit: { $and: [underPathOf(workCenter), pathsVisible(principal)] } },
          { $or: [{ end: { $gt: now } }, { workOrder: { state: { $in: [...RUNNING, WorkOrderState.Released] } } }] },
          { $or: [{ workOrder: null }, { workOrder: { state: { $nin: [...DONE] } } }] },
        ],
      },
      { populate: ['unit', 'workOrder'], orderBy: { start: 'asc', id: 'asc' }, limit: first },
    );
    if (!entries.length) return [];
    return this.slots(em, principal, entries, entries[0]!.start, entries.at(-1)!.end);
  }

  private async slots(em: Tx, principal: Principal, entries: ScheduleEntry[], from: Date, to: Date) {
    if (!entries.length) return [];
    const board = await loadBoard(em, principal, new Date(from.getTime() - 7 * DAY), to, await loadNeedsContext(em));
    const onBoard = new Map(board.all.map((e) => [e.id, e]));
    return entries.map((entry) => {
      const b = onBoard.get(entry.id);
      const state = entry.workOrder?.state ?? null;
      const problems = b ? board.problems(b) : [];
      const into = b && b.kind === 'Production' ? board.changeoverInto(b) : null;
      if (into && !into.cleaningScheduled)
        problems.push({
          kind: ScheduleProblemKind.ChangeoverRuleBroken,
          orderNumber: entry.orderNumber ?? null,
          subject: into.need.cleaningRule!,
          message: `Order ${entry.orderNumber} follows ${into.from?.product} (order ${into.from?.orderNumber}) on ${entry.unit.path}: rule ${into.need.cleaningRule} asks for a ${into.need.cleaning} between them; schedule one.`,
        });
      const changeover = into && {
        fromOrder: into.from?.orderNumber ?? null,
        fromProduct: into.from?.product ?? null,
        minutes: into.need.minutes,
        requiredCleaning: into.need.cleaning ?? RequiredCleaning.None,
        rules: into.need.rules,
        cleaningScheduled: into.cleaningScheduled,
      };
      const readiness =
        state && RUNNING.includes(state)
          ? DispatchReadiness.Running
          : problems.length
            ? DispatchReadiness.Blocked
            : DispatchReadiness.Ready;
      return Object.assign(new ScheduleSlot(), { entry, state, changeover, readiness, problems });
    });
  }

  /** Live changes of the schedule at `scope` and below, limited to what the caller may read. */
  subscribeChanges(principal: Principal, scope: string, stream: StreamOptions = {}): AsyncIterable<ScheduleChange> {
    type Wire = Omit<ScheduleChange, 'start' | 'end' | 'at'> & { start: string; end: string; at: string };
    return scopedSubscription<Wire, ScheduleChange>(this.events, principal, scope, {
      patterns: (s) => this.events.subjects.scheduleChangedScope(s),
      what: 'the schedule',
      toValue: (e) => ({ ...e, start: new Date(e.start), end: new Date(e.end), at: new Date(e.at) }),
      stream,
    });
  }
}
