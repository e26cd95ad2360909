import { describe, expect, it } from 'vitest';
import { SequenceGenerator } from '../src/logic/sequence.js';

describe('signal sequence', () => {
  it('is strictly increasing within one millisecond and when the clock steps back', () => {
    let now = 1_760_000_000_000;
    const seq = new SequenceGenerator(() => now);
    const a = seq.next();
    const b = seq.next();
    now -= 5_000; // NTP step back
    const c = seq.next();
    now += 10_000;
    const d = seq.next();
    expect(a).toBe(1_760_000_000_000_000);
    expect([b - a, c - b]).toEqual([1, 1]);
    expect(d).toBe((1_760_000_000_000 + 5_000) * 1000);
  });

  it('starts above the previous run after a restart, and stays a safe integer', () => {
    let now = Date.now();
    const first = new SequenceGenerator(() => now);
    let last = 0;
    for (let i = 0; i < 999; i++) last = first.next(); // a burst within one ms
    now += 1;
    const restarted = new SequenceGenerator(() => now);
    const next = restarted.next();
    expect(next).toBeGreaterThan(last);
    expect(Number.isSafeInteger(next)).toBe(true);
  });

  it('stays increasing over 100,000 real calls', () => {
    const seq = new SequenceGenerator();
    let prev = seq.next();
    for (let i = 0; i < 100_000; i++) {
      const n = seq.next();
      if (n <= prev) throw new Error(`sequence went from ${prev} to ${n}`);
      prev = n;
    }
    expect(Number.isSafeInteger(prev)).toBe(true);
  });

  it('refuses a clock beyond the safe range instead of sending colliding numbers', () => {
    const seq = new SequenceGenerator(() => Number.MAX_SAFE_INTEGER);
    expect(() => seq.next()).toThrow(/safe integer/);
  });
});
