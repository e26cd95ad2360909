/**
 * Signal sequence numbers: strictly increasing per source, also across restarts, without any
 * stored state. Microseconds since the epoch (Date.now() * 1000) plus a counter within the
 * millisecond: a restarted flow starts above everything it sent before, as long as it never sent
 * more than 1,000 signals per millisecond on average. The value stays a safe integer until
 * the year 2255 (9.007e15 / 1000 ms).
 */
export class SequenceGenerator {
  private last = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  next(): number {
    const candidate = this.clock() * 1000;
    // Faster than 1,000 per ms, or the clock stepped back: keep counting up from the last one.
    this.last = candidate > this.last ? candidate : this.last + 1;
    if (!Number.isSafeInteger(this.last))
      throw new Error('signal sequence left the safe integer range; check the system clock');
    return this.last;
  }
}
