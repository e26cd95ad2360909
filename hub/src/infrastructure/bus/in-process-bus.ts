import { Subjects } from '../../subjects.js';
import {
  createSubscriptionQueue,
  type EventPublish,
  type MessageBus,
  type QueueOptions,
  type SignalBatchHandler,
  type SignalConsumer,
  type SignalConsumerOptions,
  type SignalDelivery,
  type SignalPublish,
  subjectMatches,
} from './message-bus.js';

const DEDUPLICATION_WINDOW_MS = 120_000;
/** Signals held before publishers are made to wait for the consumer (back-pressure). */
const MAX_PENDING_SIGNALS = 20_000;

interface QueuedSignal {
  subject: string;
  payload: Uint8Array;
  attempt: number;
  /** When it was published: the embedded counterpart of JetStream's stored time. */
  receivedAt: Date;
  /** Settle the publisher's promise (with `confirmWhenAcked`). */
  confirm(): void;
  fail(err: Error): void;
}

interface InProcessSubscription {
  patterns: string[];
  queue: ReturnType<typeof createSubscriptionQueue>;
  /** Opened with `subscribeExceptOwnEvents`: not given what `publishEvents` publishes. */
  exceptOwnEvents: boolean;
}

export interface InProcessBusOptions {
  /**
   * `publishSignal` resolves only once the consumer has acked the signal. The hub's ingest acks
   * after its transaction committed (or after dead-lettering), so an answered publish is stored:
   * the embedded counterpart of JetStream confirming it stored a message.
   */
  confirmWhenAcked?: boolean;
}

/**
 * The embedded bus: same subjects and delivery rules as NATS within one process. Signals are held
 * in memory until acked. With `confirmWhenAcked` (the hub's setting) a publisher's promise waits
 * for that ack, so a crash loses only signals whose publishers had no answer yet, and may send
 * again; without it, a publish resolves when queued.
 */
export class InProcessBus implements MessageBus {
  readonly kind = 'in-process' as const;
  constructor(
    readonly subjects: Subjects = new Subjects(),
    private readonly options: InProcessBusOptions = {},
  ) {}
  readonly #subscriptions = new Set<InProcessSubscription>();
  readonly #signals: QueuedSignal[] = [];
  /** Message ids seen within the window, with the confirmation of the first publish. */
  readonly #seenMessageIds = new Map<string, { at: number; confirmed: Promise<void> }>();
  /** Signals published and not yet acked (queued or with the consumer), failed on close. */
  readonly #unconfirmed = new Set<QueuedSignal>();
  #wakeConsumer: (() => void) | null = null;
  #publishersWaiting: (() => void)[] = [];
  #closed = false;

  async publish(subject: string, data: unknown): Promise<void> {
    this.#deliver(subject, data, true);
  }

  /** The feed has these already: only the other subscriptions get them (as NATS does with `noEcho`). */
  async publishEvents(events: readonly EventPublish[]): Promise<void> {
    for (const e of events) this.#deliver(e.subject, e.data, false);
  }

  #deliver(subject: string, data: unknown, toOwnEvents: boolean): void {
    let copy: unknown;
    for (const s of this.#subscriptions) {
      if (!toOwnEvents && s.exceptOwnEvents) continue;
      if (!s.patterns.some((p) => subjectMatches(p, subject))) continue;
      // Round-trip through JSON so subscribers see exactly what a NATS subscriber would; once per
      // message, and not at all when no subscription takes it.
      copy ??= JSON.parse(JSON.stringify(data)) as unknown;
      s.queue.push({ subject, data: copy });
    }
  }

  /** The in-process bus is always reachable while the process runs. */
  onReachability(_listener: (reachable: boolean) => void): () => void {
    return () => {};
  }

  subscribe(patterns: string[], options?: QueueOptions) {
    return this.#subscribe(patterns, options, false);
  }

  subscribeExceptOwnEvents(patterns: string[], options?: QueueOptions) {
    return this.#subscribe(patterns, options, true);
  }

  #subscribe(patterns: string[], options: QueueOptions | undefined, exceptOwnEvents: boolean) {
    const queue = createSubscriptionQueue(() => this.#subscriptions.delete(entry), options);
    const entry = { patterns, queue, exceptOwnEvents };
    this.#subscriptions.add(entry);
    return queue;
  }

  async publishSignal(subject: string, payload: Uint8Array, messageId: string): Promise<void> {
    if (this.#closed) throw new Error('The in-process bus is closed.');
    while (this.#signals.length >= MAX_PENDING_SIGNALS && !this.#closed)
      await new Promise<void>((r) => this.#publishersWaiting.push(r));
    const now = Date.now();
    for (const [id, seen] of this.#seenMessageIds) {
      if (now - seen.at < DEDUPLICATION_WINDOW_MS) break;
      this.#seenMessageIds.delete(id);
    }
    // A repeat is dropped; its publisher hears what the first one hears.
    const seen = this.#seenMessageIds.get(messageId);
    if (seen) return seen.confirmed;
    let queued!: QueuedSignal;
    const confirmed = new Promise<void>(
      (confirm, fail) => (queued = { subject, payload, attempt: 0, receivedAt: new Date(now), confirm, fail }),
    );
    this.#seenMessageIds.set(messageId, { at: now, confirmed });
    this.#signals.push(queued);
    this.#wakeConsumer?.();
    if (!this.options.confirmWhenAcked) {
      queued.confirm();
      return;
    }
    this.#unconfirmed.add(queued);
    return confirmed;
  }

  publishSignals(batch: readonly SignalPublish[]): Promise<void> {
    return Promise.all(batch.map((m) => this.publishSignal(m.subject, m.payload, m.id))).then(() => {});
  }

  /** One lane whatever `options.lanes` says: the embedded database has one connection. */
  consumeSignals(handle: SignalBatchHandler, options: SignalConsumerOptions = {}): SignalConsumer {
    const batchSize = options.batchSize ?? 256;
    let running = true;
    let wakeFromPause: (() => void) | null = null;
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wakeFromPause = () => {
          clearTimeout(timer);
          resolve();
        };
      });
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
            else if (this.#unconfirmed.delete(q)) q.confirm();
          };
          return {
            subject: q.subject,
            payload: q.payload,
            attempt: q.attempt,
            receivedAt: q.receivedAt,
            ack: () => settle(false),
            nak: () => settle(true),
          };
        });
        const outcome = await handle(batch).catch(() => {
          // The handler failed as a whole: everything it did not settle comes again.
        });
        this.#signals.unshift(...redeliver, ...unsettled);
        if (outcome) await pause(outcome.pauseMs);
        else if (redeliver.length || unsettled.size) await pause(200);
      }
    })();
    return {
      stop: async () => {
        running = false;
        this.#wakeConsumer?.();
        wakeFromPause?.();
        await loop;
      },
    };
  }

  async checkReady(): Promise<void> {
    if (this.#closed) throw new Error('The in-process bus is closed.');
  }

  async signalBacklog(): Promise<number> {
    return this.#signals.length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#publishersWaiting.splice(0)) wake();
    const notStored = new Error(
      'The hub stopped before the signal was stored; send it again ' +
        '(its source and sequence make a repeat harmless).',
    );
    for (const q of this.#unconfirmed) q.fail(notStored);
    this.#unconfirmed.clear();
    for (const s of [...this.#subscriptions]) s.queue.close();
    this.#wakeConsumer?.();
  }
}
