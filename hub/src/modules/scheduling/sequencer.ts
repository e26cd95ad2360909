import { RequiredCleaning } from '@plantgraph/schema';

const MINUTE = 60_000;

/** An order of the backlog as the sequencer sees it. */
export interface Job {
  id: string;
  product: string;
  /** Working minutes it runs (set-up included). */
  minutes: number;
  /** When it is due (ms); null: never late. */
  due: number | null;
}

/** Working time of the unit, downtime and already scheduled work excluded. */
export interface Timeline {
  next(ms: number): number;
  finish(ms: number, minutes: number): number;
}

export type Change = (from: string | null, to: string) => { minutes: number; cleaning: RequiredCleaning };

export interface Slot {
  job: Job;
  start: number;
  end: number;
  changeover: number;
  /** The cleaning or sanitation before it, when the matrix asks for one (it takes the changeover time). */
  cleaning: { kind: RequiredCleaning; start: number; end: number } | null;
}

export interface Plan {
  slots: Slot[];
  changeoverMinutes: number;
  latenessMinutes: number;
  /** Changeover plus lateness, the figure minimised. */
  cost: number;
}

/** Places jobs one after another from `start` after `first` (the product before them on the unit). */
export function simulate(
  seq: readonly Job[],
  start: number,
  first: string | null,
  time: Timeline,
  change: Change,
): Plan {
  const slots: Slot[] = [];
  let t = start;
  let prev = first;
  let changeoverMinutes = 0;
  let latenessMinutes = 0;
  for (const job of seq) {
    const need = change(prev, job.product);
    let cleaning: Slot['cleaning'] = null;
    if (need.minutes > 0) {
      const from = time.next(t);
      const to = time.finish(from, need.minutes);
      if (need.cleaning !== RequiredCleaning.None) cleaning = { kind: need.cleaning, start: from, end: to };
      t = to;
    }
    const s = time.next(t);
    const end = time.finish(s, job.minutes);
    slots.push({ job, start: s, end, changeover: need.minutes, cleaning });
    changeoverMinutes += need.minutes;
    if (job.due !== null && end > job.due) latenessMinutes += (end - job.due) / MINUTE;
    t = end;
    prev = job.product;
  }
  const lateness = Math.round(latenessMinutes);
  return { slots, changeoverMinutes, latenessMinutes: lateness, cost: changeoverMinutes + lateness };
}

const byDue = (a: Job, b: Job) => (a.due ?? Infinity) - (b.due ?? Infinity);

/**
 * The heuristic of ADR 0043: two starting sequences, earliest due date and a greedy nearest
 * neighbour that picks, at each step, the job adding the least changeover plus lateness; the
 * better one is improved by local search (2-opt segment reversals, then moving single jobs) until
 * no move helps or `maxRounds` rounds are spent. Deterministic: same backlog, same sequence.
 */
export function sequenceJobs(
  jobs: readonly Job[],
  start: number,
  first: string | null,
  time: Timeline,
  change: Change,
  maxRounds = 20,
): Plan {
  const cost = (seq: readonly Job[]) => simulate(seq, start, first, time, change).cost;
  const edd = [...jobs].sort(byDue);
  const greedy: Job[] = [];
  const left = [...edd];
  let t = start;
  let prev = first;
  while (left.length) {
    let best = 0;
    let bestScore = Infinity;
    let bestEnd = t;
    for (let i = 0; i < left.length; i++) {
      const plan = simulate([left[i]!], t, prev, time, change);
      const slot = plan.slots[0]!;
      // Ties go to the earlier due date: `left` is in due-date order and only a lower score replaces.
      const score = plan.cost;
      if (score < bestScore) {
        best = i;
        bestScore = score;
        bestEnd = slot.end;
      }
    }
    const [job] = left.splice(best, 1);
    greedy.push(job!);
    t = bestEnd;
    prev = job!.product;
  }
  let seq = cost(greedy) <= cost(edd) ? greedy : edd;
  let current = cost(seq);
  for (let round = 0; round < maxRounds; round++) {
    let improved = false;
    for (let i = 0; i < seq.length - 1; i++) {
      for (let j = i + 1; j < seq.length; j++) {
        const reversed = [...seq.slice(0, i), ...seq.slice(i, j + 1).reverse(), ...seq.slice(j + 1)];
        const c = cost(reversed);
        if (c < current) {
          seq = reversed;
          current = c;
          improved = true;
        }
      }
    }
    for (let i = 0; i < seq.length; i++) {
      for (let j = 0; j < seq.length; j++) {
        if (i === j) continue;
        const moved = [...seq];
        const [job] = moved.splice(i, 1);
        moved.splice(j, 0, job!);
        const c = cost(moved);
        if (c < current) {
          seq = moved;
          current = c;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return simulate(seq, start, first, time, change);
}
