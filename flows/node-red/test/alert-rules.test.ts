import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AlertRuleEngine,
  deduplicationKey,
  SlidingCounts,
  thresholdActive,
  type AlertTransition,
  type RuleSpec,
} from '../src/logic/alert-rules.js';

const PRESS = 'acme/berlin/assembly/line-1/press-1';
const OVEN = 'acme/berlin/paint/oven-1';

function engine(spec: RuleSpec) {
  const transitions: AlertTransition[] = [];
  const e = new AlertRuleEngine(spec, (t) => transitions.push(t));
  return { e, transitions, kinds: () => transitions.map((t) => `${t.kind}${t.initial ? '(initial)' : ''} ${t.path}`) };
}

describe('threshold with hysteresis', () => {
  it('raises above high and clears only below high - hysteresis', () => {
    const spec = { high: 80, hysteresis: 5 };
    const seen: boolean[] = [];
    let active = false;
    for (const v of [70, 80, 81, 79, 76, 75, 74, 81]) {
      active = thresholdActive(active, v, spec);
      seen.push(active);
    }
    expect(seen).toEqual([false, false, true, true, true, false, false, true]);
  });

  it('watches a low limit the same way', () => {
    let active = false;
    const seen = [10, 4, 6, 7, 8].map((v) => (active = thresholdActive(active, v, { low: 5, hysteresis: 2 })));
    expect(seen).toEqual([false, true, true, false, false]); // 7 = low + hysteresis: back
  });

  it('keeps one state machine per path and emits only transitions', () => {
    const { e, kinds, transitions } = engine({ kind: 'threshold', high: 80, hysteresis: 5 });
    e.observe(PRESS, { value: 90 });
    e.observe(OVEN, { value: 50 });
    e.observe(PRESS, { value: 95 });
    e.observe(OVEN, { value: 85 });
    e.observe(PRESS, { value: 70 });
    e.observe(PRESS, { value: 60 });
    expect(kinds()).toEqual([`raise ${PRESS}`, `clear(initial) ${OVEN}`, `raise ${OVEN}`, `clear ${PRESS}`]);
    expect(transitions[0]!.detail).toEqual({ value: 90 });
    expect([e.activeAt(PRESS), e.activeAt(OVEN), e.activeAt('unknown')]).toEqual([false, true, undefined]);
  });

  it('refuses a rule without limits', () => {
    expect(() => new AlertRuleEngine({ kind: 'threshold' }, () => {})).toThrow(/high or a low limit/);
  });
  it('decides again after a transition the hub did not take is retracted', () => {
    const { e, kinds } = engine({ kind: 'threshold', high: 80 });
    e.observe(PRESS, { value: 90 });
    e.retract(PRESS); // the raise failed
    e.observe(PRESS, { value: 91 });
    expect(kinds()).toEqual([`raise ${PRESS}`, `raise ${PRESS}`]);
  });
});

describe('state held too long', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-03-02T06:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('raises after the duration in the state and clears when the state ends', () => {
    const { e, kinds, transitions } = engine({ kind: 'stateDuration', states: ['Down'], durationMs: 5 * 60_000 });
    e.observe(PRESS, { state: 'Running' });
    e.observe(PRESS, { state: 'Down' });
    vi.advanceTimersByTime(4 * 60_000);
    e.observe(PRESS, { state: 'Down' }); // same state again: the timer keeps running, not restarted
    vi.advanceTimersByTime(60_000 - 1);
    expect(kinds()).toEqual([`clear(initial) ${PRESS}`]);
    vi.advanceTimersByTime(1);
    expect(kinds()).toEqual([`clear(initial) ${PRESS}`, `raise ${PRESS}`]);
    expect(transitions[1]!.detail).toEqual({ state: 'Down', durationMs: 5 * 60_000 });
    vi.advanceTimersByTime(60_000);
    e.observe(PRESS, { state: 'Running' });
    expect(transitions[2]).toEqual({
      kind: 'clear',
      path: PRESS,
      detail: { state: 'Running', previousState: 'Down', durationMs: 6 * 60_000 },
    });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not raise when the state ends before the duration', () => {
    const { e, kinds } = engine({ kind: 'stateDuration', states: ['Down', 'Maintenance'], durationMs: 60_000 });
    e.observe(PRESS, { state: 'Down' });
    vi.advanceTimersByTime(30_000);
    e.observe(PRESS, { state: 'Maintenance' }); // still a watched state: counts on from the Down
    vi.advanceTimersByTime(20_000);
    e.observe(PRESS, { state: 'Idle' });
    vi.advanceTimersByTime(60_000);
    expect(kinds()).toEqual([`clear(initial) ${PRESS}`]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("counts from the time the state was entered (an event's at), raising at once if already over", () => {
    const { e, kinds } = engine({ kind: 'stateDuration', states: ['Down'], durationMs: 60_000 });
    e.observe(PRESS, { state: 'Down', since: Date.now() - 45_000 });
    vi.advanceTimersByTime(14_999);
    expect(kinds()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(kinds()).toEqual([`raise ${PRESS}`]);
    e.observe(OVEN, { state: 'Down', since: Date.now() - 120_000 });
    expect(kinds()).toEqual([`raise ${PRESS}`, `raise ${OVEN}`]);
  });

  it('raises again on the next message when a raise after the timer was retracted', () => {
    const { e, kinds } = engine({ kind: 'stateDuration', states: ['Down'], durationMs: 60_000 });
    e.observe(PRESS, { state: 'Down' });
    vi.advanceTimersByTime(60_000);
    e.retract(PRESS);
    e.observe(PRESS, { state: 'Down' });
    expect(kinds()).toEqual([`raise ${PRESS}`, `raise ${PRESS}`]);
    e.observe(PRESS, { state: 'Down' });
    expect(kinds()).toHaveLength(2);
  });

  it('leaves no timer behind when disposed', () => {
    const { e, kinds } = engine({ kind: 'stateDuration', states: ['Down'], durationMs: 60_000 });
    e.observe(PRESS, { state: 'Down' });
    e.observe(OVEN, { state: 'Down' });
    expect(vi.getTimerCount()).toBe(2);
    e.dispose();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(120_000);
    expect(kinds()).toEqual([]);
  });
});

describe('scrap rate over a sliding window', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-03-02T06:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('sums only what is inside the window', () => {
    const w = new SlidingCounts(10_000);
    w.add(0, 10, 1);
    w.add(5_000, 5, 0);
    expect(w.totals(9_999)).toEqual({ good: 15, scrap: 1 });
    expect(w.totals(10_000)).toEqual({ good: 5, scrap: 0 });
    expect(w.totals(15_000)).toEqual({ good: 0, scrap: 0 });
    expect(w.empty).toBe(true);
  });

  it('raises above the limit with enough parts, clears below limit - hysteresis', () => {
    const { e, transitions, kinds } = engine({
      kind: 'rate',
      windowMs: 10 * 60_000,
      limitPercent: 5,
      minParts: 20,
      hysteresis: 1,
    });
    e.observe(PRESS, { good: 9, scrap: 1 }); // 10 %, but only 10 parts: hold
    expect(kinds()).toEqual([]);
    vi.advanceTimersByTime(60_000);
    e.observe(PRESS, { good: 10, scrap: 0 }); // 1/20 = 5 %: not above
    expect(kinds()).toEqual([]);
    e.observe(PRESS, { good: 0, scrap: 1 }); // 2/21 = 9.52 %
    expect(transitions.at(-1)).toEqual({
      kind: 'raise',
      path: PRESS,
      detail: { rate: 9.52, good: 19, scrap: 2, parts: 21 },
    });
    e.observe(PRESS, { good: 27, scrap: 0 }); // 2/48 = 4.17 %: within hysteresis, stays raised
    expect(e.activeAt(PRESS)).toBe(true);
    e.observe(PRESS, { good: 2, scrap: 0 }); // 2/50 = 4 % = limit - hysteresis: cleared
    expect(kinds()).toEqual([`raise ${PRESS}`, `clear ${PRESS}`]);
  });

  it('slides: old scrap leaves the window and a tick clears when production stopped', () => {
    const { e, kinds } = engine({ kind: 'rate', windowMs: 5 * 60_000, limitPercent: 10 });
    e.observe(PRESS, { good: 8, scrap: 2 }); // 20 %
    expect(kinds()).toEqual([`raise ${PRESS}`]);
    vi.advanceTimersByTime(4 * 60_000);
    e.tick();
    expect(e.activeAt(PRESS)).toBe(true);
    vi.advanceTimersByTime(60_000);
    e.tick(); // the 2 scrap parts are 5 min old now: the window is empty
    expect(kinds()).toEqual([`raise ${PRESS}`, `clear ${PRESS}`]);
  });
});

describe('de-duplication key', () => {
  it('defaults to <rule id>:<path> and fills templates', () => {
    expect(deduplicationKey(undefined, 'n1', PRESS)).toBe(`n1:${PRESS}`);
    expect(deduplicationKey('', 'n1', PRESS)).toBe(`n1:${PRESS}`);
    expect(deduplicationKey('{{path}}/down-too-long', 'n1', PRESS)).toBe(`${PRESS}/down-too-long`);
    expect(deduplicationKey('{{ rule }}-{{path}}-{{nothing}}', 'n1', 'a/b')).toBe('n1-a/b-');
  });
});
