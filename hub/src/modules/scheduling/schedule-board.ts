import {
  type ChangeoverRule,
  RequiredCleaning,
  ScheduleEntryKind,
  ScheduleProblemKind as K,
  type ShiftCalendar,
  WorkOrderState,
} from '@plantgraph/schema';
import type { ScheduleProblemDetail } from '../../core/failures.js';
import {
  type ChangeoverNeed,
  changeoverBetween,
  NO_CHANGEOVER,
  cleaningSatisfies,
  type ProductTraits,
  related,
} from './changeover.js';
import { operatorsOnShift, type QualifiedPerson, type RosterEntry } from './operators.js';
import { WorkingTime } from './working-time.js';
import { type BoardIndex, buildIndex } from './board-index.js';

const MINUTE = 60_000;

/** An entry of the schedule as the checks see it (times in ms). */
export interface BoardEntry {
  id: string;
  kind: ScheduleEntryKind;
  unitPath: string;
  start: number;
  end: number;
  orderNumber: string | null;
  product: string | null;
  orderState: WorkOrderState | null;
  /** What the order consumes (per material, for its whole quantity); checked while it is a Draft. */
  materials: { code: string; quantity: number; unit: string }[];
  qualifications: string[];
  crew: number;
}

export interface Span {
  from: number;
  to: number;
  why: string;
  /** The maintenance order whose window or hold this is, if any. */
  maintenanceOrder?: string | null;
}
export interface LotOnHand {
  code: string;
  lotNumber: string;
  free: number;
  usable: boolean;
  expiresAt: number | null;
}
/** Material expected to arrive (an open planned receipt), counted from its date. */
export interface ExpectedReceipt {
  code: string;
  quantity: number;
  at: number;
}

/** Everything the constraint checks read, loaded once for a window (`loadBoard`). */
export interface BoardData {
  entries: BoardEntry[];
  calendars: Pick<ShiftCalendar, 'scope' | 'timeZone' | 'shifts'>[];
  /** Maintenance, calibration and planned downtime spans per equipment path. */
  downtime: Map<string, Span[]>;
  traits: Map<string, ProductTraits>;
  rules: Pick<ChangeoverRule, 'name' | 'scope' | 'fromProducts' | 'toProducts' | 'minutes' | 'requiredCleaning'>[];
  lots: LotOnHand[];
  /** Open planned receipts: available from their expected date. */
  receipts: ExpectedReceipt[];
  people: QualifiedPerson[];
  /** The shift roster per calendar scope; a calendar without one counts everyone qualified. */
  roster: Map<string, RosterEntry[]>;
  horizon: { from: Date; to: Date };
  /** Whether the caller may read a path: orders elsewhere are named only as "another order". */
  canRead: (path: string) => boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();
const DRAFT = WorkOrderState.Draft;

/**
 * The schedule of a window in memory with every constraint check, so a whole batch (or the
 * sequencer's proposal) is checked against the database's state without a query per order.
 */
export class ScheduleBoard {
  private readonly entries = new Map<string, BoardEntry>();
  private readonly calendars = new Map<string, WorkingTime>();
  /** Lookups over the entries, built when first needed after a change (a batch puts, then checks). */
  private index: BoardIndex | null = null;

  constructor(readonly data: BoardData) {
    for (const e of data.entries) this.entries.set(e.id, e);
  }

  get all(): BoardEntry[] {
    return [...this.entries.values()];
  }

  put(entry: BoardEntry): void {
    this.entries.set(entry.id, entry);
    this.index = null;
  }

  remove(id: string): void {
    this.entries.delete(id);
    this.index = null;
  }

  private get indexed(): BoardIndex {
    this.index ??= buildIndex(this.entries.values());
    return this.index;
  }

  /** Entries on the unit, its ancestors and the units under it (kept per path until the board changes). */
  private relatedTo(path: string): BoardEntry[] {
    const { byPath, related } = this.indexed;
    const known = related.get(path);
    if (known) return known;
    const out: BoardEntry[] = [];
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) out.push(...(byPath.get(parts.slice(0, i).join('/')) ?? []));
    for (const [key, list] of byPath) if (key.startsWith(`${path}/`)) out.push(...list);
    related.set(path, out);
    return out;
  }

  /** The nearest calendar up the unit's path, with its scope; null when none covers it. */
  calendarOf(unitPath: string) {
    return (
      this.data.calendars
        .filter((c) => unitPath === c.scope || unitPath.startsWith(`${c.scope}/`))
        .sort((a, b) => b.scope.length - a.scope.length)[0] ?? null
    );
  }

  workingTime(unitPath: string): WorkingTime {
    const calendar = this.calendarOf(unitPath);
    const key = calendar?.scope ?? '';
    let time = this.calendars.get(key);
    if (!time) {
      time = new WorkingTime(calendar, this.data.horizon);
      this.calendars.set(key, time);
    }
    return time;
  }

  traitsOf(product: string | null): ProductTraits | null {
    if (!product) return null;
    return this.data.traits.get(product) ?? { product, family: null, allergens: [] };
  }

  /** The production entry before `entry` on a related unit, and the one after it. */
  neighbours(entry: Pick<BoardEntry, 'id' | 'unitPath' | 'start' | 'end'>) {
    let before: BoardEntry | null = null;
    let after: BoardEntry | null = null;
    for (const other of this.relatedTo(entry.unitPath)) {
      if (other.id === entry.id || other.kind !== ScheduleEntryKind.Production) continue;
      if (other.end <= entry.start && (!before || other.end > before.end)) before = other;
      if (other.start >= entry.end && (!after || other.start < after.start)) after = other;
    }
    return { before, after };
  }

  /** The changeover into `entry` from its predecessor, and whether the cleaning it needs is scheduled. */
  changeoverInto(entry: BoardEntry): { from: BoardEntry | null; need: ChangeoverNeed; cleaningScheduled: boolean } {
    const { before } = this.neighbours(entry);
    const to = this.traitsOf(entry.product);
    if (!before || !to) return { from: before, need: NO_CHANGEOVER, cleaningScheduled: true };
    const need = changeoverBetween(this.data.rules, entry.unitPath, this.traitsOf(before.product), to);
    if (need.cleaning === RequiredCleaning.None) return { from: before, need, cleaningScheduled: true };
    const cleaningScheduled = this.relatedTo(entry.unitPath).some(
      (c) =>
        c.kind !== ScheduleEntryKind.Production &&
        c.start >= before.end &&
        c.end <= entry.start &&
        cleaningSatisfies(c.kind, need.cleaning),
    );
    return { from: before, need, cleaningScheduled };
  }

  private name(e: BoardEntry): string {
    if (!this.data.canRead(e.unitPath)) return 'another order';
    return e.orderNumber ? `order ${e.orderNumber}` : `a ${e.kind.toLowerCase()}`;
  }

  /** Every constraint `entry` breaks, placed as it is against the rest of the board. */
  problems(entry: BoardEntry): ScheduleProblemDetail[] {
    const out: ScheduleProblemDetail[] = [];
    const order = entry.orderNumber;
    const add = (kind: K, subject: string, message: string) => out.push({ kind, orderNumber: order, subject, message });
    const what = order ? `Order ${order}` : `The ${entry.kind.toLowerCase()}`;
    const window = `${iso(entry.start)} – ${iso(entry.end)}`;

    for (const other of this.relatedTo(entry.unitPath)) {
      if (other.id === entry.id) continue;
      if (other.start < entry.end && entry.start < other.end)
        add(
          K.UnitOverlap,
          entry.unitPath,
          `${what} (${window}) overlaps ${this.name(other)} on ${other.unitPath} (${iso(other.start)} – ${iso(other.end)}); move one of them.`,
        );
    }

    const time = this.workingTime(entry.unitPath);
    const at = time.where(entry.start);
    if (at.at === 'break')
      add(
        K.DuringBreak,
        at.shift,
        `${what} starts at ${iso(entry.start)}, in the planned break of shift ${at.shift}; start it after the break.`,
      );
    else if (at.at === 'off')
      add(
        K.OutsideWorkingTime,
        entry.unitPath,
        `${what} starts at ${iso(entry.start)}, outside every shift of ${entry.unitPath}'s calendar; start it in a shift.`,
      );

    for (const [path, spans] of this.data.downtime) {
      if (!related(path, entry.unitPath)) continue;
      for (const s of spans) {
        if (!(s.from < entry.end && entry.start < s.to)) continue;
        const until = Number.isFinite(s.to) ? ` to ${iso(s.to)}` : ' until';
        if (s.maintenanceOrder)
          add(
            K.MaintenanceWindow,
            s.maintenanceOrder,
            `${what} (${window}) falls in maintenance order ${s.maintenanceOrder} on ${path} from ${iso(s.from)}${until}${Number.isFinite(s.to) ? '' : ' it is signed off'}: ${s.why}.`,
          );
        else
          add(
            K.EquipmentDowntime,
            path,
            `${what} (${window}) falls in downtime of ${path} from ${iso(s.from)}${until}${Number.isFinite(s.to) ? '' : ' cleared'}: ${s.why}.`,
          );
      }
    }

    if (entry.kind === ScheduleEntryKind.Production) {
      this.changeoverTimes(entry, add, what);
      if (entry.orderState === DRAFT) this.materialShortfalls(entry, add, what);
      this.operatorShortfalls(entry, add);
    }
    return out;
  }

  private changeoverTimes(entry: BoardEntry, add: (k: K, s: string, m: string) => void, what: string) {
    const { before, after } = this.neighbours(entry);
    const gap = (from: BoardEntry, to: BoardEntry) => {
      const need = changeoverBetween(
        this.data.rules,
        to.unitPath,
        this.traitsOf(from.product),
        this.traitsOf(to.product)!,
      );
      const minutes = (to.start - from.end) / MINUTE;
      if (need.minutes > minutes)
        add(
          K.ChangeoverTime,
          need.rules[0] ?? to.unitPath,
          `${what}: the changeover from ${from.product} (${this.name(from)}) to ${to.product} (${this.name(to)}) needs ${need.minutes} min by rule ${need.rules.join(', ')}; only ${Math.max(0, Math.round(minutes))} min are planned.`,
        );
    };
    if (before?.product && entry.product) gap(before, entry);
    if (after?.product && entry.product) gap(entry, after);
  }

  private materialShortfalls(entry: BoardEntry, add: (k: K, s: string, m: string) => void, what: string) {
    for (const need of entry.materials) {
      const inStock = this.data.lots
        .filter((l) => l.code === need.code && l.usable && (l.expiresAt === null || l.expiresAt > entry.start))
        .reduce((sum, l) => sum + l.free, 0);
      const expected = this.data.receipts
        .filter((r) => r.code === need.code && r.at <= entry.start)
        .reduce((sum, r) => sum + r.quantity, 0);
      const onHand = inStock + expected;
      // Draft orders starting before it take the material first (released ones hold reservations).
      const earlier = this.indexed.draftsBefore(need.code, entry.start);
      const short = Math.round((need.quantity + earlier - onHand) * 1e6) / 1e6;
      if (short > 0)
        add(
          K.MaterialShort,
          need.code,
          `${what} needs ${need.quantity} ${need.unit} of ${need.code} by ${iso(entry.start)}; ${Math.max(0, onHand - earlier)} ${need.unit} are usable after earlier orders${expected ? ` (${expected} ${need.unit} of planned receipts counted)` : ''}: short ${Math.min(short, need.quantity)} ${need.unit}.`,
        );
    }
  }

  /**
   * Per shift the order runs in and qualification it needs: the most operators needed at once while
   * it runs (its crew and that of orders running beside it on other units of the calendar's scope;
   * an order on the same unit at the same time is an overlap already) against the people holding
   * the qualification through the whole shift.
   */
  private operatorShortfalls(entry: BoardEntry, add: (k: K, s: string, m: string) => void) {
    const calendar = this.calendarOf(entry.unitPath);
    if (!calendar || !entry.qualifications.length) return;
    const scope = calendar.scope;
    const roster = this.data.roster.get(scope) ?? null;
    const inScope = (p: string) => p === scope || p.startsWith(`${scope}/`);
    for (const shift of this.workingTime(entry.unitPath).shiftsIn(entry.start, entry.end)) {
      const from = Math.max(shift.from, entry.start);
      const to = Math.min(shift.to, entry.end);
      const beside = this.indexed
        .productionIn(from, to)
        .filter((e) => e.id !== entry.id && inScope(e.unitPath) && !related(e.unitPath, entry.unitPath));
      for (const code of entry.qualifications) {
        const needed =
          entry.crew +
          peak(
            beside.filter((e) => e.qualifications.includes(code)),
            from,
            to,
          );
        const qualified = operatorsOnShift(this.data.people, roster, scope, shift, code);
        if (needed > qualified)
          add(
            K.OperatorsShort,
            `${shift.name}/${code}`,
            `Shift ${shift.name} needs ${needed} operator${needed === 1 ? '' : 's'} qualified for ${code} at once for the orders running beside each other; ${qualified}${roster ? ' rostered' : ''} ${qualified === 1 ? 'is' : 'are'}.`,
          );
      }
    }
  }
}

/** The largest crew the entries need at one instant within [from, to]. */
function peak(entries: readonly BoardEntry[], from: number, to: number): number {
  const steps = entries.flatMap((e) => [
    { at: Math.max(e.start, from), d: e.crew },
    { at: Math.min(e.end, to), d: -e.crew },
  ]);
  steps.sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const s of steps) {
    now += s.d;
    most = Math.max(most, now);
  }
  return most;
}
