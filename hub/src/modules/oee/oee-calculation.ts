import { EquipmentState } from '@plantgraph/schema';

/**
 * OEE by the ISO 22400-2 time and quantity elements, computed from what equipment reported.
 * Pure arithmetic: the inputs are the equipment's state intervals, its part counts, the shift
 * calendar for the window, and the ideal cycle time. The rules, with worked vectors, are in
 * docs/oee.md; `test/oee-vectors.test.ts` checks them.
 */

export interface Interval {
  from: Date;
  to: Date;
}
export interface StateInterval extends Interval {
  state: EquipmentState;
  reason: string | null;
}
export interface CountSample {
  at: Date;
  good: number;
  scrap: number;
  rework: number;
}
/** A shift (it may cross midnight) with its planned breaks. */
export interface ShiftWindow extends Interval {
  breaks: Interval[];
}

export interface OeeInput {
  window: Interval;
  shifts: ShiftWindow[];
  /** The equipment's states, in time order; gaps are time without data. */
  states: StateInterval[];
  counts: CountSample[];
  /** Planned run time per item (ISO 22400 PRI), in seconds; null when unknown. */
  idealCycleTimeSeconds: number | null;
  /** Stops shorter than this are microstops: a speed loss, not an availability loss. */
  microstopThresholdSeconds: number;
}

export interface DowntimeReason {
  reason: string;
  seconds: number;
  occurrences: number;
}

export interface OeeFigures {
  /** POT: shift time in the window, less planned breaks. */
  plannedOperationTime: number;
  /** PDOT: planned downtime inside POT (Maintenance, Offline: not scheduled to run). */
  plannedDowntime: number;
  /** PBT = POT − PDOT. */
  plannedBusyTime: number;
  /** APT: Running time inside PBT, microstops included. */
  actualProductionTime: number;
  /** ADOT: unplanned stops (Down) inside PBT, microstops excluded. */
  actualUnitDownTime: number;
  /** ADET: delays (Idle: starved, blocked, waiting) inside PBT, microstops excluded. */
  actualUnitDelayTime: number;
  /** Stops shorter than the threshold, counted inside APT. */
  microstopTime: number;
  /** Time inside PBT with no reported state; counted as a delay. */
  noDataTime: number;
  producedQuantity: number;
  goodQuantity: number;
  scrapQuantity: number;
  reworkQuantity: number;
  availability: number | null;
  performance: number | null;
  quality: number | null;
  oee: number | null;
  /** Ideal cycle time × PQ: the time the parts should have taken (sums across equipment). */
  idealProductionTime: number;
  unplannedStops: number;
  /** Mean APT between unplanned stops, and mean length of one, in seconds. */
  mtbf: number | null;
  mttr: number | null;
  topDowntimeReasons: DowntimeReason[];
}

const seconds = (ms: number) => ms / 1000;

/** Time of `a` that lies in `b`, in ms. */
function overlap(a: Interval, b: Interval): number {
  return Math.max(0, Math.min(a.to.getTime(), b.to.getTime()) - Math.max(a.from.getTime(), b.from.getTime()));
}

/** The planned operating time as disjoint intervals: shifts clipped to the window, breaks cut out. */
export function operatingIntervals(window: Interval, shifts: ShiftWindow[]): Interval[] {
  const result: Interval[] = [];
  for (const shift of shifts) {
    let pieces: Interval[] = [
      {
        from: new Date(Math.max(shift.from.getTime(), window.from.getTime())),
        to: new Date(Math.min(shift.to.getTime(), window.to.getTime())),
      },
    ];
    for (const brk of shift.breaks) {
      pieces = pieces.flatMap((p) => {
        if (overlap(p, brk) === 0) return [p];
        return [
          { from: p.from, to: brk.from },
          { from: brk.to, to: p.to },
        ].filter((x) => x.to > x.from);
      });
    }
    result.push(...pieces.filter((p) => p.to > p.from));
  }
  return result.sort((a, b) => a.from.getTime() - b.from.getTime());
}

const PLANNED = new Set([EquipmentState.Maintenance, EquipmentState.Offline]);
const UNPLANNED_STOP = new Set([EquipmentState.Down]);

/** Where a state interval's time goes among the ISO 22400 elements. */
export type StateCategory = 'running' | 'planned' | 'microstop' | 'unplannedStop' | 'delay';

/**
 * A state interval's category: its state and, for stops, its whole length (a stop across a shift
 * change is one stop). The database aggregation (`oee-aggregation.ts`) applies the same rule.
 */
export function stateCategory(state: EquipmentState, lengthMs: number, thresholdMs: number): StateCategory {
  if (state === EquipmentState.Running) return 'running';
  if (PLANNED.has(state)) return 'planned';
  if (lengthMs < thresholdMs) return 'microstop'; // lost speed, not availability
  return UNPLANNED_STOP.has(state) ? 'unplannedStop' : 'delay';
}

/**
 * State time inside the planned operating time, summed per category and, for stops that count,
 * per reason (the reason code, else the state): the form the database returns it in.
 */
export interface StateTotal {
  category: StateCategory;
  reason: string | null;
  ms: number;
  /** Intervals with time inside the planned operating time. */
  occurrences: number;
}

export interface CountTotals {
  good: number;
  scrap: number;
  rework: number;
}

/** The sums OEE is computed from; its size does not depend on how many states or counts there were. */
export interface OeeTotals {
  operating: Interval[];
  states: StateTotal[];
  counts: CountTotals;
  idealCycleTimeSeconds: number | null;
}

export function computeOee(input: OeeInput): OeeFigures {
  const operating = operatingIntervals(input.window, input.shifts);
  return oeeFromTotals({
    operating,
    states: stateTotals(input.states, operating, input.microstopThresholdSeconds * 1000),
    counts: countTotals(input.counts, operating),
    idealCycleTimeSeconds: input.idealCycleTimeSeconds,
  });
}

/** Sums state intervals per category and reason, counting only their time inside `operating`. */
export function stateTotals(states: StateInterval[], operating: Interval[], thresholdMs: number): StateTotal[] {
  const totals = new Map<string, StateTotal>();
  for (const s of states) {
    const inPot = operating.reduce((sum, o) => sum + overlap(s, o), 0);
    if (inPot === 0) continue;
    const category = stateCategory(s.state, s.to.getTime() - s.from.getTime(), thresholdMs);
    const reason = category === 'unplannedStop' || category === 'delay' ? (s.reason ?? s.state) : null;
    const key = `${category}\u0000${reason ?? ''}`;
    const total = totals.get(key) ?? { category, reason, ms: 0, occurrences: 0 };
    total.ms += inPot;
    total.occurrences++;
    totals.set(key, total);
  }
  return [...totals.values()];
}

/** Parts counted inside `operating` (not in breaks, not outside the shifts). */
export function countTotals(counts: CountSample[], operating: Interval[]): CountTotals {
  const inWindow = counts.filter((c) => operating.some((o) => c.at >= o.from && c.at < o.to));
  return {
    good: inWindow.reduce((s, c) => s + c.good, 0),
    scrap: inWindow.reduce((s, c) => s + c.scrap, 0),
    rework: inWindow.reduce((s, c) => s + c.rework, 0),
  };
}

/** The figures from summed state time and counts. */
export function oeeFromTotals(totals: OeeTotals): OeeFigures {
  const pot = totals.operating.reduce((sum, i) => sum + (i.to.getTime() - i.from.getTime()), 0);
  const ms = (category: StateCategory) =>
    totals.states.filter((t) => t.category === category).reduce((sum, t) => sum + t.ms, 0);
  const covered = totals.states.reduce((sum, t) => sum + t.ms, 0);
  const noData = pot - covered;
  const micro = ms('microstop');
  const pdot = ms('planned');
  const reasons = new Map<string, DowntimeReason>();
  for (const t of totals.states) {
    if (t.reason === null) continue;
    const r = reasons.get(t.reason) ?? { reason: t.reason, seconds: 0, occurrences: 0 };
    r.seconds += seconds(t.ms);
    r.occurrences += t.occurrences;
    reasons.set(t.reason, r);
  }
  const { good, scrap, rework } = totals.counts;
  const produced = good + scrap + rework;
  return withRatios(
    {
      plannedOperationTime: seconds(pot),
      plannedDowntime: seconds(pdot),
      plannedBusyTime: seconds(pot - pdot),
      actualProductionTime: seconds(ms('running') + micro),
      actualUnitDownTime: seconds(ms('unplannedStop')),
      actualUnitDelayTime: seconds(ms('delay') + noData),
      microstopTime: seconds(micro),
      noDataTime: seconds(noData),
      producedQuantity: produced,
      goodQuantity: good,
      scrapQuantity: scrap,
      reworkQuantity: rework,
      idealProductionTime: totals.idealCycleTimeSeconds ? totals.idealCycleTimeSeconds * produced : 0,
      unplannedStops: totals.states
        .filter((t) => t.category === 'unplannedStop')
        .reduce((sum, t) => sum + t.occurrences, 0),
      topDowntimeReasons: [...reasons.values()],
    },
    totals.idealCycleTimeSeconds !== null,
  );
}

type Elements = Omit<OeeFigures, 'availability' | 'performance' | 'quality' | 'oee' | 'mtbf' | 'mttr'>;

/** Ratios from summed elements: how lines, areas and shifts are rolled up (never by averaging ratios). */
function withRatios(e: Elements, performanceKnown: boolean): OeeFigures {
  const availability = e.plannedBusyTime > 0 ? e.actualProductionTime / e.plannedBusyTime : null;
  const performance =
    performanceKnown && e.actualProductionTime > 0 ? e.idealProductionTime / e.actualProductionTime : null;
  const quality = e.producedQuantity > 0 ? e.goodQuantity / e.producedQuantity : null;
  const oee =
    availability !== null && performance !== null && quality !== null ? availability * performance * quality : null;
  return {
    ...e,
    availability,
    performance,
    quality,
    oee,
    mtbf: e.unplannedStops ? e.actualProductionTime / e.unplannedStops : null,
    mttr: e.unplannedStops ? e.actualUnitDownTime / e.unplannedStops : null,
    topDowntimeReasons: [...e.topDowntimeReasons].sort(
      (a, b) => b.seconds - a.seconds || a.reason.localeCompare(b.reason),
    ),
  };
}

/** Sums the elements of several equipment or periods; performance is known only if it is for all. */
export function aggregateOee(parts: OeeFigures[]): OeeFigures {
  const sum = (k: keyof Elements) => parts.reduce((s, p) => s + (p[k] as number), 0);
  const reasons = new Map<string, DowntimeReason>();
  for (const r of parts.flatMap((p) => p.topDowntimeReasons)) {
    const acc = reasons.get(r.reason) ?? { reason: r.reason, seconds: 0, occurrences: 0 };
    acc.seconds += r.seconds;
    acc.occurrences += r.occurrences;
    reasons.set(r.reason, acc);
  }
  const keys = [
    'plannedOperationTime',
    'plannedDowntime',
    'plannedBusyTime',
    'actualProductionTime',
    'actualUnitDownTime',
    'actualUnitDelayTime',
    'microstopTime',
    'noDataTime',
    'producedQuantity',
    'goodQuantity',
    'scrapQuantity',
    'reworkQuantity',
    'idealProductionTime',
    'unplannedStops',
  ] as const;
  const elements = Object.fromEntries(keys.map((k) => [k, sum(k)])) as unknown as Elements;
  return withRatios(
    { ...elements, topDowntimeReasons: [...reasons.values()] },
    parts.length > 0 && parts.every((p) => p.actualProductionTime === 0 || p.performance !== null),
  );
}
