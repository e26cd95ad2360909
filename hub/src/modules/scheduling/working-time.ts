import type { ShiftCalendar } from '@plantgraph/schema';
import type { Interval } from '../oee/oee-calculation.js';
import { shiftWindows } from '../oee/shift-windows.js';

const MINUTE = 60_000;

/** Where an instant falls in a calendar. */
export type TimeOfCalendar = { at: 'work' } | { at: 'break'; shift: string } | { at: 'off' };

interface Span {
  from: number;
  to: number;
}

/**
 * The working time of a unit over a horizon: the shifts of its calendar less their planned breaks
 * (the oee module's `shiftWindows`, so OEE and the schedule agree on what a shift is), less any
 * further blocked spans (the sequencer passes downtime, so it plans around it). Without a calendar
 * every minute works. Orders consume working minutes: an order that does not fit before a break or
 * the end of a shift carries on after it.
 */
export class WorkingTime {
  private readonly spans: Span[] | null;
  private readonly shifts: { from: number; to: number; name: string; breaks: Span[] }[];

  constructor(
    calendar: Pick<ShiftCalendar, 'timeZone' | 'shifts'> | null,
    readonly horizon: Interval,
    blocked: readonly Span[] = [],
  ) {
    if (!calendar) {
      this.shifts = [];
      this.spans = blocked.length ? subtract([{ from: -Infinity, to: Infinity }], blocked) : null;
      return;
    }
    this.shifts = shiftWindows(calendar, horizon).map((w) => ({
      from: w.from.getTime(),
      to: w.to.getTime(),
      name: w.label,
      breaks: w.breaks.map((b) => ({ from: b.from.getTime(), to: b.to.getTime() })),
    }));
    const working = this.shifts.flatMap((s) => subtract([{ from: s.from, to: s.to }], s.breaks));
    this.spans = subtract(merge(working), blocked);
  }

  /** Whether `ms` is working time, a planned break, or outside every shift. */
  where(ms: number): TimeOfCalendar {
    if (!this.spans) return { at: 'work' };
    if (this.spanAt(ms) >= 0) return { at: 'work' };
    const shift = this.shifts.find((s) => s.from <= ms && ms < s.to);
    if (shift?.breaks.some((b) => b.from <= ms && ms < b.to)) return { at: 'break', shift: shift.name };
    return { at: 'off' };
  }

  /** The shifts (by label) overlapping a span, for counting operators per shift. */
  shiftsIn(from: number, to: number): { name: string; from: number; to: number }[] {
    return this.shifts.filter((s) => s.from < to && from < s.to);
  }

  /** The first working instant at or after `ms`; NaN past the horizon. */
  next(ms: number): number {
    if (!this.spans) return ms;
    const i = this.firstEndingAfter(ms);
    return i < this.spans.length ? Math.max(ms, this.spans[i]!.from) : Number.NaN;
  }

  /** When `minutes` of working time from `start` are used up; NaN past the horizon. */
  finish(start: number, minutes: number): number {
    if (!this.spans) return start + minutes * MINUTE;
    let left = minutes * MINUTE;
    let at = start;
    for (let i = this.firstEndingAfter(start); i < this.spans.length; i++) {
      const span = this.spans[i]!;
      at = Math.max(at, span.from);
      if (at + left <= span.to) return at + left;
      left -= span.to - at;
    }
    return left <= 0 ? at : Number.NaN;
  }

  private spanAt(ms: number): number {
    const i = this.firstEndingAfter(ms);
    return this.spans && i < this.spans.length && this.spans[i]!.from <= ms ? i : -1;
  }

  /** Index of the first working span that ends after `ms` (binary search). */
  private firstEndingAfter(ms: number): number {
    const spans = this.spans ?? [];
    let lo = 0;
    let hi = spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (spans[mid]!.to <= ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function merge(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.from - b.from);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else out.push({ ...s });
  }
  return out;
}

/** `spans` less every part covered by `holes`. */
function subtract(spans: Span[], holes: readonly Span[]): Span[] {
  if (!holes.length) return spans;
  const cuts = merge([...holes]);
  const out: Span[] = [];
  for (const span of spans) {
    let from = span.from;
    for (const cut of cuts) {
      if (cut.to <= from || cut.from >= span.to) continue;
      if (cut.from > from) out.push({ from, to: cut.from });
      from = Math.max(from, cut.to);
    }
    if (from < span.to) out.push({ from, to: span.to });
  }
  return out;
}
