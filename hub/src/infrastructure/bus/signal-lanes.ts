/** A batch taken from the lanes: its signals, the lane of each, and the lanes it holds until released. */
export interface LaneBatch<T> {
  items: T[];
  laneOfItem: number[];
  lanes: number[];
}

/**
 * Signals waiting for the ingest, split into lanes by equipment so that several batches can be
 * stored at once (one per lane, each on its own database connection) while each equipment's
 * signals stay in order: all of them go through the same lane, one batch after the other. Lanes
 * never share an equipment, so their transactions never wait for each other's row locks.
 *
 * A lane's batch is ready when it holds `batchSize` signals or when its oldest signal has waited
 * `maxDelayMs`, whichever comes first: under load batches are full, and a trickle is still stored
 * within the delay instead of one transaction per signal. A batch that is not full also takes what
 * waits in the lanes that are not storing (ADR 0064): a store call costs the database about the same
 * whatever its size up to a few dozen signals, so at a live rate one batch of the four lanes' signals
 * costs a quarter of four. The lanes it took are its own until `release`, so no equipment is in two
 * batches at once and each equipment's signals still go one batch after the other.
 */
export class SignalLanes<T> {
  readonly #queues: { items: T[]; since: number[] }[];
  readonly #waiters: ((() => void) | null)[];
  /** Lanes whose signals are in a batch being stored: they wait, and no other batch takes theirs. */
  readonly #storing: boolean[];
  #closed = false;

  constructor(
    readonly lanes: number,
    readonly batchSize: number,
    readonly maxDelayMs: number,
  ) {
    if (!Number.isInteger(lanes) || lanes < 1) throw new Error(`lanes must be a whole number ≥ 1 (got ${lanes}).`);
    this.#queues = Array.from({ length: lanes }, () => ({ items: [], since: [] }));
    this.#waiters = Array.from({ length: lanes }, () => null);
    this.#storing = Array.from({ length: lanes }, () => false);
  }

  /** The lane of an equipment (its path, or any key that stands for it): the same for its life. */
  laneOf(key: string): number {
    if (this.lanes === 1) return 0;
    // FNV-1a: cheap, and spreads paths that differ only in their last characters.
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    return (hash >>> 0) % this.lanes;
  }

  /** Signals waiting in all lanes. */
  get size(): number {
    let n = 0;
    for (const q of this.#queues) n += q.items.length;
    return n;
  }

  /** Every waiting signal, in lane order (to keep them held while they wait). */
  *waiting(): Iterable<T> {
    for (const q of this.#queues) yield* q.items;
  }

  push(key: string, item: T): void {
    const lane = this.laneOf(key);
    const q = this.#queues[lane]!;
    q.items.push(item);
    q.since.push(Date.now());
    // Wake the lane's handler when its first signal arrives (to start the delay) or the batch is full.
    if (q.items.length === 1 || q.items.length >= this.batchSize) this.#wake(lane);
  }

  /** Removes and returns every waiting signal (to hand them back to the bus). */
  takeAll(): T[] {
    const all: T[] = [];
    for (const q of this.#queues) {
      all.push(...q.items.splice(0));
      q.since.length = 0;
    }
    return all;
  }

  /**
   * The next batch of `lane` once it is ready (empty once closed, or when `wake` was called): up to
   * `batchSize` of its signals, then, while there is room, those waiting in the lanes that are not
   * storing. Every lane it took is held until `release`.
   */
  async next(lane: number): Promise<LaneBatch<T>> {
    const q = this.#queues[lane]!;
    while (!this.#closed) {
      if (this.#storing[lane] || !q.items.length) {
        await new Promise<void>((r) => (this.#waiters[lane] = r));
        continue;
      }
      const wait = q.since[0]! + this.maxDelayMs - Date.now();
      if (q.items.length >= this.batchSize || wait <= 0) return this.#take(lane);
      await new Promise<void>((r) => {
        const timer = setTimeout(() => this.#wake(lane), wait);
        this.#waiters[lane] = () => {
          clearTimeout(timer);
          r();
        };
      });
    }
    return { items: [], laneOfItem: [], lanes: [] };
  }

  /**
   * Gives the batch's lanes back; `unsettled` (signals of the batch that were not stored) go back to
   * the head of their lanes, in their order, to come again in the next batch.
   */
  release(batch: LaneBatch<T>, unsettled: Iterable<T> = []): void {
    const back = new Set(unsettled);
    if (back.size) {
      const byLane = new Map<number, T[]>();
      batch.items.forEach((item, i) => {
        if (!back.has(item)) return;
        const lane = batch.laneOfItem[i]!;
        const items = byLane.get(lane);
        if (items) items.push(item);
        else byLane.set(lane, [item]);
      });
      for (const [lane, items] of byLane) {
        const q = this.#queues[lane]!;
        q.items.unshift(...items);
        q.since.unshift(...items.map(() => 0));
      }
    }
    for (const lane of batch.lanes) this.#storing[lane] = false;
    for (const lane of batch.lanes) if (this.#queues[lane]!.items.length) this.#wake(lane);
  }

  #take(first: number): LaneBatch<T> {
    const batch: LaneBatch<T> = { items: [], laneOfItem: [], lanes: [] };
    for (let k = 0; k < this.lanes && batch.items.length < this.batchSize; k++) {
      const lane = (first + k) % this.lanes;
      const q = this.#queues[lane]!;
      if (this.#storing[lane] || !q.items.length) continue;
      const taken = q.items.splice(0, this.batchSize - batch.items.length);
      q.since.splice(0, taken.length);
      for (const item of taken) {
        batch.items.push(item);
        batch.laneOfItem.push(lane);
      }
      this.#storing[lane] = true;
      batch.lanes.push(lane);
    }
    return batch;
  }

  /** Ends every lane's wait (the consumer stops). */
  close(): void {
    this.#closed = true;
    for (let lane = 0; lane < this.lanes; lane++) this.#wake(lane);
  }

  #wake(lane: number): void {
    const wake = this.#waiters[lane];
    this.#waiters[lane] = null;
    wake?.();
  }
}
