/**
 * Alert rules as pure state machines, one per equipment path: a rule sees observations (a value,
 * a state, a count) and decides when an alert is raised and when it is cleared. No Node-RED and
 * no hub here; the alert-rule node feeds messages in and turns transitions into hub mutations.
 */
import { fillTemplate } from './templates.js';

/** The hub's AlertSeverity enum without Info (an alert rule's alert is worth looking at). */
export const ALERT_SEVERITIES = ['Low', 'Medium', 'High', 'Critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export type RuleSpec =
  /** Raise when the value is above `high` (or below `low`); clear once back by `hysteresis`. */
  | { kind: 'threshold'; high?: number; low?: number; hysteresis?: number }
  /** Raise when the equipment stays in one of `states` longer than `durationMs`; clear when it leaves. */
  | { kind: 'stateDuration'; states: string[]; durationMs: number }
  /**
   * Raise when scrap / (good + scrap) over the last `windowMs` exceeds `limitPercent` (with at
   * least `minParts` parts in the window); clear when it is `hysteresis` points below the limit
   * or the window is empty.
   */
  | { kind: 'rate'; windowMs: number; limitPercent: number; minParts?: number; hysteresis?: number };

export type Observation = { value: number } | { state: string; since?: number } | { good: number; scrap: number };

export interface AlertTransition {
  kind: 'raise' | 'clear';
  path: string;
  /** A clear for a path this rule had not seen yet: an alert left open by an earlier run may exist. */
  initial?: boolean;
  /** What the rule saw, for titles and the output message: value, state, durationMs, rate, parts. */
  detail: Record<string, unknown>;
}

export interface Timers {
  now(): number;
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}
export const realTimers: Timers = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

type Verdict = 'raise' | 'clear' | 'hold';

/** Threshold with hysteresis: the next "active" for a value. */
export function thresholdActive(
  active: boolean,
  value: number,
  spec: { high?: number; low?: number; hysteresis?: number },
): boolean {
  const h = spec.hysteresis ?? 0;
  const beyond = (spec.high !== undefined && value > spec.high) || (spec.low !== undefined && value < spec.low);
  if (!active) return beyond;
  const back = (spec.high === undefined || value <= spec.high - h) && (spec.low === undefined || value >= spec.low + h);
  return !back;
}

/** Parts in a sliding window, oldest first. */
export class SlidingCounts {
  private readonly entries: { at: number; good: number; scrap: number }[] = [];
  private good = 0;
  private scrap = 0;

  constructor(private readonly windowMs: number) {}

  add(at: number, good: number, scrap: number): void {
    this.entries.push({ at, good, scrap });
    this.good += good;
    this.scrap += scrap;
  }

  /** Drops what left the window (older than now - windowMs) and returns the totals. */
  totals(now: number): { good: number; scrap: number } {
    while (this.entries.length && this.entries[0]!.at <= now - this.windowMs) {
      const e = this.entries.shift()!;
      this.good -= e.good;
      this.scrap -= e.scrap;
    }
    return { good: this.good, scrap: this.scrap };
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }
}

interface PathState {
  active?: boolean;
  /** stateDuration: the watched state we are timing, since when, and its timer. */
  timing?: { state: string; since: number; timer: unknown };
  window?: SlidingCounts;
}

/** One rule over many equipment paths; `emit` gets every raise and clear transition. */
export class AlertRuleEngine {
  private readonly paths = new Map<string, PathState>();

  constructor(
    private readonly spec: RuleSpec,
    private readonly emit: (t: AlertTransition) => void,
    private readonly timers: Timers = realTimers,
  ) {
    validateSpec(spec);
  }

  observe(path: string, obs: Observation): void {
    const s = this.stateOf(path);
    const now = this.timers.now();
    const spec = this.spec;
    if (spec.kind === 'threshold') {
      if (!('value' in obs)) throw new Error('a threshold rule needs a numeric value');
      const active = thresholdActive(s.active === true, obs.value, spec);
      this.report(path, active ? 'raise' : 'clear', { value: obs.value });
    } else if (spec.kind === 'stateDuration') {
      if (!('state' in obs)) throw new Error('a state duration rule needs an equipment state');
      this.observeState(path, s, obs.state, Math.min(obs.since ?? now, now), now, spec);
    } else {
      if (!('good' in obs)) throw new Error('a rate rule needs counts { good, scrap }');
      s.window ??= new SlidingCounts(spec.windowMs);
      s.window.add(now, obs.good, obs.scrap);
      this.evaluateRate(path, s, now, spec);
    }
  }

  /** Rate rules: slide every window to now, so a rate also clears when production stops. */
  tick(): void {
    if (this.spec.kind !== 'rate') return;
    const now = this.timers.now();
    for (const [path, s] of this.paths) if (s.window) this.evaluateRate(path, s, now, this.spec);
  }

  /** Whether the alert of a path is raised (undefined: not seen yet). */
  activeAt(path: string): boolean | undefined {
    return this.paths.get(path)?.active;
  }

  /**
   * The hub did not take a transition (unreachable, refused): forget whether the path is raised,
   * so the next observation decides again instead of the rule believing a raise that never was.
   */
  retract(path: string): void {
    const s = this.paths.get(path);
    if (s) s.active = undefined;
  }

  get pathCount(): number {
    return this.paths.size;
  }
  get activeCount(): number {
    return [...this.paths.values()].filter((s) => s.active).length;
  }

  dispose(): void {
    for (const s of this.paths.values()) if (s.timing) this.timers.clear(s.timing.timer);
    this.paths.clear();
  }

  private observeState(
    path: string,
    s: PathState,
    state: string,
    since: number,
    now: number,
    spec: { states: string[]; durationMs: number },
  ): void {
    if (!spec.states.includes(state)) {
      if (s.timing) this.timers.clear(s.timing.timer);
      const left = s.timing;
      s.timing = undefined;
      this.report(path, 'clear', {
        state,
        ...(left ? { previousState: left.state, durationMs: now - left.since } : {}),
      });
      return;
    }
    if (s.timing) {
      // Still in a watched state: the running timer stands. Overdue but not raised (the raise
      // failed and was retracted): raise again now.
      if (s.active !== true && s.timing.timer === null)
        this.report(path, 'raise', { state: s.timing.state, durationMs: now - s.timing.since });
      return;
    }
    const fire = () => {
      if (!s.timing || s.timing.timer !== timer) return;
      s.timing.timer = null; // ran out
      this.report(path, 'raise', { state, durationMs: this.timers.now() - since });
    };
    const remaining = spec.durationMs - (now - since);
    const timer = remaining > 0 ? this.timers.set(fire, remaining) : null;
    s.timing = { state, since, timer };
    if (remaining <= 0) fire();
  }

  private evaluateRate(
    path: string,
    s: PathState,
    now: number,
    spec: { limitPercent: number; minParts?: number; hysteresis?: number },
  ): void {
    const { good, scrap } = s.window!.totals(now);
    const parts = good + scrap;
    const rate = parts > 0 ? (scrap / parts) * 100 : 0;
    const detail = { rate: Math.round(rate * 100) / 100, good, scrap, parts };
    let verdict: 'clear' | 'hold' | 'raise';
    if (parts === 0) verdict = 'clear';
    else if (parts < (spec.minParts ?? 1)) verdict = 'hold';
    else if (rate > spec.limitPercent) verdict = 'raise';
    else verdict = rate <= spec.limitPercent - (spec.hysteresis ?? 0) ? 'clear' : 'hold';
    this.report(path, verdict, detail);
  }

  private report(path: string, verdict: Verdict, detail: Record<string, unknown>): void {
    const s = this.stateOf(path);
    if (verdict === 'raise' && s.active !== true) {
      s.active = true;
      this.emit({ kind: 'raise', path, detail });
    } else if (verdict === 'clear' && s.active !== false) {
      const initial = s.active === undefined;
      s.active = false;
      this.emit(initial ? { kind: 'clear', path, initial, detail } : { kind: 'clear', path, detail });
    }
  }

  private stateOf(path: string): PathState {
    let s = this.paths.get(path);
    if (!s) {
      s = {};
      this.paths.set(path, s);
    }
    return s;
  }
}

function validateSpec(spec: RuleSpec): void {
  const finite = (n: unknown) => typeof n === 'number' && Number.isFinite(n);
  if (spec.kind === 'threshold') {
    if (!finite(spec.high) && !finite(spec.low)) throw new Error('a threshold rule needs a high or a low limit');
    if ((spec.hysteresis ?? 0) < 0) throw new Error('hysteresis must not be negative');
  } else if (spec.kind === 'stateDuration') {
    if (!spec.states.length) throw new Error('a state duration rule needs at least one state, e.g. Down');
    if (!finite(spec.durationMs) || spec.durationMs < 0) throw new Error('the duration must be zero or more');
  } else if (!finite(spec.windowMs) || spec.windowMs <= 0 || !finite(spec.limitPercent)) {
    throw new Error('a rate rule needs a window longer than zero and a limit in percent');
  }
}

/** The alert's de-duplication key: the template with {{path}} and {{rule}}, default `<rule id>:<path>`. */
export function deduplicationKey(template: string | undefined, ruleId: string, path: string): string {
  return template ? fillTemplate(template, { path, rule: ruleId }) : `${ruleId}:${path}`;
}
