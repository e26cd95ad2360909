// Signals to the hub in batches: one publishSignals call at a time with everything that waited
// meanwhile (up to the hub's 1000 per call), so the rate follows the hub's pace. A call that fails is
// sent again unchanged after a growing pause (its signals keep their (source, sequence) keys, so
// nothing is stored twice); a signal the hub refuses (equipment unknown or out of the instance's
// scope, a field it rejects) is dropped and counted, since sending it again cannot help.

import { type ConnectorLog, type HubClient, publishSignals } from '@plantgraph/connector-sdk';
import type { SignalInput } from './signals.js';

/** A path the hub refused is not sent again for this long (the engineer may create it meanwhile). */
const REFUSED_PATH_MS = 10_000;
const FIRST_PAUSE_MS = 200;
const LONGEST_PAUSE_MS = 5000;

export interface BatcherStats {
  published: number;
  refused: number;
  /** Dropped because the buffer was full (the hub did not take signals for a long time). */
  dropped: number;
  calls: number;
  lastPublishedAt: number | null;
  /** Why the last call failed or a signal was refused; null after a call that went through. */
  lastError: string | null;
}

export interface BatcherOptions {
  hub: HubClient;
  log: ConnectorLog;
  /** Signals per call, at most 1000. */
  maxBatch: number;
  /** Signals kept while the hub does not take them; the oldest go beyond. */
  maxBuffered: number;
}

export class SignalBatcher {
  readonly stats: BatcherStats = {
    published: 0,
    refused: 0,
    dropped: 0,
    calls: 0,
    lastPublishedAt: null,
    lastError: null,
  };
  #buffer: SignalInput[] = [];
  #pumping: Promise<void> | null = null;
  #closed = false;
  #pause: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  readonly #refusedPaths = new Map<string, number>();

  constructor(private readonly o: BatcherOptions) {}

  get buffered(): number {
    return this.#buffer.length;
  }

  push(signals: SignalInput[]): void {
    if (this.#closed || !signals.length) return;
    for (const s of signals) {
      const until = this.#refusedPaths.get(s.path);
      if (until !== undefined && until > Date.now()) this.stats.refused++;
      else this.#buffer.push(s);
    }
    const over = this.#buffer.length - this.o.maxBuffered;
    if (over > 0) {
      this.#buffer.splice(0, over);
      this.stats.dropped += over;
      this.stats.lastError = `the hub has not taken signals for a while: ${this.stats.dropped} dropped`;
    }
    this.#pumping ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#pump());
  }

  /** Sends what is buffered (for at most `timeoutMs`), then takes no more. */
  async close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#buffer.length && this.#pumping && Date.now() < deadline)
      await Promise.race([this.#pumping, new Promise((r) => setTimeout(r, 50))]);
    this.#closed = true;
    if (this.#pause) {
      clearTimeout(this.#pause.timer);
      this.#pause.wake();
    }
    await this.#pumping;
  }

  async #pump(): Promise<void> {
    let failures = 0;
    try {
      while (this.#buffer.length && !this.#closed) {
        const batch = this.#buffer.slice(0, this.o.maxBatch);
        try {
          const dropped = await this.#send(batch);
          this.#buffer.splice(0, batch.length);
          if (dropped.size) this.#buffer = this.#buffer.filter((s) => !dropped.has(s.path));
          failures = 0;
        } catch (err) {
          failures++;
          this.stats.lastError = `publishSignals failed: ${(err as Error).message}`;
          if (failures === 1) this.o.log.warn(`${this.stats.lastError}; sending again`);
          await this.#wait(Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (failures - 1)));
        }
      }
    } finally {
      this.#pumping = null;
    }
  }

  /** Sends one batch (dropping what the hub refuses); returns the paths refused as a whole. */
  async #send(batch: SignalInput[]): Promise<Set<string>> {
    const refusedPaths = new Set<string>();
    // Each refusal removes at least one signal, so this ends.
    while (batch.length) {
      this.stats.calls++;
      const answer = await publishSignals(this.o.hub, batch);
      if (answer.__typename === 'SignalsPublished') {
        this.stats.published += batch.length;
        this.stats.lastPublishedAt = Date.now();
        this.stats.lastError = null;
        return refusedPaths;
      }
      this.stats.lastError = `the hub refused signals: ${answer.message}`;
      const index = answer.__typename === 'InvalidInput' ? /^signals\[(\d+)\]/.exec(answer.field)?.[1] : undefined;
      if (answer.__typename === 'NotFound') {
        refusedPaths.add(answer.key);
        this.#refusedPaths.set(answer.key, Date.now() + REFUSED_PATH_MS);
        const before = batch.length;
        batch = batch.filter((s) => s.path !== answer.key);
        this.stats.refused += before - batch.length;
        if (before === batch.length) throw new Error(answer.message); // not about a signal's equipment
        this.o.log.warn(`${this.stats.lastError} (dropped for ${REFUSED_PATH_MS / 1000} s)`);
      } else if (index !== undefined && Number(index) < batch.length) {
        this.o.log.warn(`${this.stats.lastError} (${answer.field}; dropped)`);
        batch = batch.filter((_, i) => i !== Number(index));
        this.stats.refused++;
      } else throw new Error(answer.message);
    }
    return refusedPaths;
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.#pause = null;
        resolve();
      };
      this.#pause = { timer: setTimeout(wake, ms), wake };
    });
  }
}
