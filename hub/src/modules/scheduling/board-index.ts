import { ScheduleEntryKind, WorkOrderState } from '@plantgraph/schema';
import type { BoardEntry } from './schedule-board.js';

/** Lookups over a board's entries, built when first needed after a change (a batch puts, then checks). */
export interface BoardIndex {
  byPath: Map<string, BoardEntry[]>;
  /** `relatedTo` per path, filled as asked. */
  related: Map<string, BoardEntry[]>;
  /** What Draft orders starting before `start` consume of a material. */
  draftsBefore(code: string, start: number): number;
  /** Production entries overlapping [from, to). */
  productionIn(from: number, to: number): BoardEntry[];
}

/** The first index in `sorted` whose value is at least `value`. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function append<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function buildIndex(entries: Iterable<BoardEntry>): BoardIndex {
  const byPath = new Map<string, BoardEntry[]>();
  const drafts = new Map<string, { start: number; quantity: number }[]>();
  const production: BoardEntry[] = [];
  let longest = 0;
  for (const e of entries) {
    append(byPath, e.unitPath, e);
    if (e.kind !== ScheduleEntryKind.Production) continue;
    production.push(e);
    longest = Math.max(longest, e.end - e.start);
    if (e.orderState === WorkOrderState.Draft)
      for (const m of e.materials) append(drafts, m.code, { start: e.start, quantity: m.quantity });
  }
  const sums = new Map(
    [...drafts].map(([code, list]) => {
      list.sort((a, b) => a.start - b.start);
      let total = 0;
      return [code, { starts: list.map((d) => d.start), totals: list.map((d) => (total += d.quantity)) }];
    }),
  );
  production.sort((a, b) => a.start - b.start);
  const starts = production.map((e) => e.start);
  return {
    byPath,
    related: new Map(),
    draftsBefore: (code, start) => {
      const s = sums.get(code);
      const n = s ? lowerBound(s.starts, start) : 0;
      return n ? s!.totals[n - 1]! : 0;
    },
    productionIn: (from, to) => {
      const out: BoardEntry[] = [];
      for (let i = lowerBound(starts, from - longest); i < production.length && production[i]!.start < to; i++)
        if (production[i]!.end > from) out.push(production[i]!);
      return out;
    },
  };
}
