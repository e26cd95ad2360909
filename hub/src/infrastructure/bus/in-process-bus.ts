import { Subjects } from '../../subjects.js';
import { createSubscriptionQueue, type MessageBus, type QueueOptions, type SignalConsumer, type SignalDelivery, subjectMatches } from './message-bus.js';

const DEDUPLICATION_WINDOW_MS = 120_000;
/** Signals held before publishers are made to wait for the consumer (back-pressure). */
const MAX_PENDING_SIGNALS = 20_000;

interface QueuedSignal { subject: string; payload: Uint8Array; attempt: number }

/**
 * The embedded bus: same subjects and delivery rules as NATS within one process. Signals are
 * held in memory until acked, so a crash of the embedded hub loses signals not yet acked — the
 * same promise a machine gets from any in-memory broker; run NATS for durability.
 */
export class InProcessBus implements MessageBus {
  readonly kind = 'in-process' as const;
  constructor(readonly subjects: Subjects = new Subjects()) {}
  readonly #subscriptions = new Set<{ patterns: string[]; queue: ReturnType<typeof createSubscriptionQueue> }>();
  readonly #signals: QueuedSignal[] = [];
  readonly #seenMessageIds = new Map<string, number>();
  #wakeConsumer: (() => void) | null = null;
  #publishersWaiting: (() => void)[] = [];
  #closed = false;

  async publish(subject: string, data: unknown): Promise<void> {
    // Round-trip through JSON so subscribers see exactly what a NATS subscriber would.
    const copy = JSON.parse(JSON.stringify(data)) as unknown;
    for (const s of this.#subscriptions) if (s.patterns.some((p) => subjectMatches(p, subject))) s.queue.push({ subject, data: copy });
  }

  subscribe(patterns: string[], options?: QueueOptions) {
    const queue = createSubscriptionQueue(() => this.#subscriptions.delete(entry), options);
    const entry = { patterns, queue };
    this.#subscriptions.add(entry);
    return queue;
  }

  async publishSignal(subject: string, payload: Uint8Array, messageId: string): Promise<void> {
    if (this.#closed) throw new Error('The in-process bus is closed.');
    while (this.#signals.length >= MAX_PENDING_SIGNALS && !this.#closed) await new Promise<void>((r) => this.#publishersWaiting.push(r));
    const now = Date.now();
    for (const [id, at] of this.#seenMessageIds) {
      if (now - at < DEDUPLICATION_WINDOW_MS) break;
      this.#seenMessageIds.delete(id);
    }
    if (this.#seenMessageIds.has(messageId)) return;
    this.#seenMessageIds.set(messageId, now);
    this.#signals.push({ subject, payload, attempt: 0 });
    this.#wakeConsumer?.();
  }

  consumeSignals(handle: (batch: SignalDelivery[]) => Promise<void>, options: { batchSize?: number } = {}): SignalConsumer {
    const batchSize = options.batchSize ?? 256;
    let running = true;
    const loop = (async () => {
      while (running) {
        if (!this.#signals.length) {
          await new Promise<void>((resolve) => (this.#wakeConsumer = resolve));
          this.#wakeConsumer = null;
          continue;
        }
        const taken = this.#signals.splice(0, batchSize);
        for (const wake of this.#publishersWaiting.splice(0)) wake();
        const unsettled = new Set(taken);
        const redeliver: QueuedSignal[] = [];
        const batch = taken.map((q): SignalDelivery => {
          q.attempt++;
          const settle = (again: boolean) => {
            if (!unsettled.delete(q)) return;
            if (again) redeliver.push(q);
          };
          return { subject: q.subject, payload: q.payload, attempt: q.attempt, ack: () => settle(false), nak: () => settle(true) };
        });
        try {
          await handle(batch);
        } catch {
          // The handler failed as a whole: everything it did not settle comes again.
        }
        this.#signals.unshift(...redeliver, ...unsettled);
        if (redeliver.length || unsettled.size) await new Promise((r) => setTimeout(r, 200));
      }
    })();
    return {
      stop: async () => {
        running = false;
        this.#wakeConsumer?.();
        await loop;
      },
    };
  }

  async checkReady(): Promise<void> {
    if (this.#closed) throw new Error('The in-process bus is closed.');
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#publishersWaiting.splice(0)) wake();
    for (const s of [...this.#subscriptions]) s.queue.close();
    this.#wakeConsumer?.();
  }
}
