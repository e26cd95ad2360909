// Store and forward: the signals a stream reads wait here, in order, until the hub has taken them.
// While the hub cannot take them (its database or bus unreachable) they stay, up to a bound; they go
// in batches of up to 1,000 per publishSignals call, one call at a time, so their order is kept.

import {
  type ConnectorLog,
  type HubClient,
  type PublishSignalsAnswer,
  publishSignals,
} from '@plantgraph/connector-sdk';
import type { EquipmentSignal } from './signals.js';

/** The hub's bound on signals per publishSignals call. */
export const MAX_BATCH = 1000;
const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 5000;

export interface ForwarderOptions {
  hub: HubClient;
  log: ConnectorLog;
  /** Signals kept at most while the hub does not take them; beyond, the oldest are given up. */
  limit: number;
  batch: number;
  /** Called after each batch the hub took (e.g. to save counters' totals). */
  onSent?(signals: EquipmentSignal[]): void;
}

export class Forwarder {
  #queue: EquipmentSignal[] = [];
  #head = 0;
  #sending: Promise<void> | null = null;
  #closed = false;
  #retryMs = FIRST_RETRY_MS;
  #failingSince: Date | null = null;
  #full = false;
  #wake: (() => void) | null = null;
  dropped = 0;
  sent = 0;
  refused = 0;

  constructor(private readonly o: ForwarderOptions) {}

  get buffered(): number {
    return this.#queue.length - this.#head;
  }

  /** Whether the hub took the last batch (false while it refuses or cannot be reached). */
  get hubAnswering(): boolean {
    return this.#failingSince === null;
  }

  push(signal: EquipmentSignal): void {
    if (this.#closed) return;
    if (this.buffered >= this.o.limit) {
      this.#head++; // the oldest goes: the bound keeps the hub's process alive through a long outage
      this.dropped++;
      if (!this.#full) {
        this.#full = true;
        this.o.log.warn(
          `store and forward: the buffer is full (${this.o.limit} values; the hub has not taken values since ` +
            `${this.#failingSince?.toISOString() ?? 'a while'}): the oldest are dropped until it takes them again`,
        );
      }
    }
    this.#queue.push(signal);
    if (!this.#sending) this.#sending = this.#run();
    else this.#wake?.();
  }

  /** Resolves when everything buffered was sent (or `ms` passed); for a clean close and for tests. */
  async drain(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.buffered > 0 && Date.now() < until) await sleep(20);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#sending;
  }

  async #run(): Promise<void> {
    try {
      while (!this.#closed && this.buffered > 0) {
        const batch = this.#queue.slice(this.#head, this.#head + this.o.batch);
        const ok = await this.#send(batch);
        if (ok) {
          this.#head += batch.length;
          if (this.#head > 65_536 && this.#head * 2 > this.#queue.length) {
            this.#queue = this.#queue.slice(this.#head);
            this.#head = 0;
          }
          continue;
        }
        // The hub did not take it: wait (a new value does not shorten the pause) and send again.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#retryMs);
          this.#wake = () => {
            if (this.#closed) {
              clearTimeout(timer);
              resolve();
            }
          };
        });
        this.#wake = null;
        this.#retryMs = Math.min(LONGEST_RETRY_MS, this.#retryMs * 2);
      }
    } finally {
      this.#sending = null;
      if (!this.#closed && this.buffered > 0) this.#sending = this.#run();
    }
  }

  /** True when the batch is done with: taken, or refused signal by signal for a reason it carries. */
  async #send(batch: EquipmentSignal[]): Promise<boolean> {
    let answer: PublishSignalsAnswer;
    try {
      answer = await publishSignals(this.o.hub, batch);
    } catch (err) {
      if (!this.#failingSince) {
        this.#failingSince = new Date();
        this.o.log.warn(
          `store and forward: the hub does not take values (${(err as Error).message}); ` +
            `buffering up to ${this.o.limit} and sending them when it answers again`,
        );
      }
      return false;
    }
    if (this.#failingSince) {
      this.o.log.log(
        `store and forward: the hub takes values again (it did not since ${this.#failingSince.toISOString()}); ` +
          `${this.buffered} buffered, ${this.dropped} dropped`,
      );
      this.#failingSince = null;
      this.#full = false;
    }
    this.#retryMs = FIRST_RETRY_MS;
    if (answer.__typename === 'SignalsPublished') {
      this.sent += batch.length;
      this.o.onSent?.(batch);
      return true;
    }
    // Refused for what the values say (an unknown path, no right to it): one by one, so the rest go in.
    if (batch.length > 1) {
      for (const s of batch) if (!(await this.#send([s]))) return false;
      return true;
    }
    this.refused++;
    this.o.log.warn(`a ${batch[0]!.kind} signal for ${batch[0]!.path} was refused by the hub: ${answer.message}`);
    return true;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
