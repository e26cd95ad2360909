/**
 * The hub's messaging, behind one interface with two implementations: NATS (core subjects for
 * events, JetStream for durable signals) and an in-process bus with the same subject semantics
 * for the embedded mode. Subjects are listed in `../../subjects.ts`.
 */
import type { Subjects } from '../../subjects.js';

export interface BusMessage {
  subject: string;
  data: unknown;
}

/** A live subscription; iterate it for messages, `close()` (or break out of the loop) to end it. */
export interface BusSubscription extends AsyncIterableIterator<BusMessage> {
  close(): void;
}

/** One durable signal delivered to the ingest consumer; settle it exactly once. */
export interface SignalDelivery {
  subject: string;
  payload: Uint8Array;
  /** Delivery attempt, starting at 1. */
  attempt: number;
  /**
   * When the bus first took the signal in (JetStream: the time it stored it; in process: the
   * publish), the same on every delivery: the signal's time when it carries no `at`, so a backlog
   * drained after an outage keeps the times the signals happened, not the time of the drain.
   */
  receivedAt: Date;
  /** Done with it: it will not come again. Call only after its effects are committed. */
  ack(): void;
  /** Not processed now; deliver again later. */
  nak(): void;
}

/** What the ingest tells the consumer about a batch it could not process as a whole. */
export interface BatchOutcome {
  /**
   * Stop fetching for this long (the store is unreachable): what the batch left unsettled goes
   * back to the bus now and comes again after the pause, and nothing new is fetched meanwhile.
   */
  pauseMs: number;
}

/**
 * Receives each batch; returns a `BatchOutcome` to pause the consumer, or nothing. Deliveries it
 * leaves unsettled come again.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler that never pauses is an async function returning nothing
export type SignalBatchHandler = (batch: SignalDelivery[]) => Promise<BatchOutcome | void>;

export interface SignalConsumerOptions {
  /** The most signals in one batch. */
  batchSize?: number;
  /**
   * Batches stored at once, each from its own lane of equipment (an equipment's signals always go
   * through the same lane, in order). One for a database with a single connection (PGlite).
   */
  lanes?: number;
  /** How long a lane's oldest signal waits for its batch to fill before it is stored anyway. */
  maxBatchDelayMs?: number;
}

export interface SignalConsumer {
  stop(): Promise<void>;
}

/** One signal for the signal stream; a repeated `id` within the de-duplication window is dropped. */
export interface SignalPublish {
  subject: string;
  payload: Uint8Array;
  id: string;
}

/** A numbered event for `publishEvents`: `id` is its event id, the message id the event stream de-duplicates by. */
export interface EventPublish {
  subject: string;
  data: unknown;
  id: string;
}

export interface MessageBus {
  readonly kind: 'nats' | 'in-process';
  readonly subjects: Subjects;
  /**
   * Publishes an event (fire-and-forget for subscribers; captured by the event stream on NATS, where
   * a repeated `messageId` within the window is dropped). Resolves once the bus has it.
   */
  publish(subject: string, data: unknown, messageId?: string): Promise<void>;
  /**
   * Publishes numbered events that this process has already handed to its own event feed, each with
   * its event id as message id (a repeat within the window is dropped): every subscription gets them,
   * except this bus's `subscribeExceptOwnEvents` ones (the feed's), which would only drop them again.
   * Resolves once the bus has them all.
   */
  publishEvents(events: readonly EventPublish[]): Promise<void>;
  /** Calls `listener(false)` when the bus becomes unreachable and `listener(true)` when it is back. */
  onReachability(listener: (reachable: boolean) => void): () => void;
  /** Subscribes to one or more subject patterns (`*` one token, `>` the rest). */
  subscribe(patterns: string[], options?: QueueOptions): BusSubscription;
  /**
   * Like `subscribe`, without what this bus published with `publishEvents` (on NATS, a connection of
   * its own that the server does not echo to): the event feed's inbox, which has those in process.
   */
  subscribeExceptOwnEvents(patterns: string[], options?: QueueOptions): BusSubscription;
  /** Publishes a machine signal durably; a repeated `messageId` within the window is dropped. */
  publishSignal(subject: string, payload: Uint8Array, messageId: string): Promise<void>;
  /**
   * Publishes signals durably as one batch: resolves when the bus has every one (or dropped it as a
   * repeat), rejects if it may not have them all; then the whole batch is to be sent again.
   */
  publishSignals(batch: readonly SignalPublish[]): Promise<void>;
  /** Starts the single durable consumer of signals; `handle` receives batches in arrival order. */
  consumeSignals(handle: SignalBatchHandler, options?: SignalConsumerOptions): SignalConsumer;
  /** Resolves when the bus is reachable; rejects with the reason otherwise. */
  checkReady(): Promise<void>;
  /** Signals published and not yet settled by the ingest (the lag the metrics show). */
  signalBacklog(): Promise<number>;
  close(): Promise<void>;
}

/** Whether `subject` matches a NATS pattern: `*` matches one token, a final `>` one or more. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i === p.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

export interface QueueOptions {
  /** Messages held for a reader that does not keep up; beyond it the subscription ends. */
  limit?: number;
  /** Called once when the limit is hit (the subscription is closed right after). */
  onOverflow?: () => void;
}

/** A push-to-pull queue behind a subscription, shared by both implementations. */
export function createSubscriptionQueue(onClose: () => void, options: QueueOptions = {}): SubscriptionQueue {
  const buffered: BusMessage[] = [];
  let waiting: ((r: IteratorResult<BusMessage>) => void) | null = null;
  let closed = false;
  let room: { below: number; resolve: () => void } | null = null;
  let ending = false;
  const sub = {
    end() {
      if (closed) return;
      ending = true;
      if (!buffered.length) sub.close();
    },
    get size() {
      return buffered.length;
    },
    whenBelow(count: number): Promise<void> {
      if (closed || buffered.length < count) return Promise.resolve();
      room?.resolve();
      return new Promise<void>((resolve) => (room = { below: count, resolve }));
    },
    push(m: BusMessage) {
      if (closed || ending) return;
      if (waiting) {
        const w = waiting;
        waiting = null;
        w({ value: m, done: false });
      } else if (options.limit !== undefined && buffered.length >= options.limit) {
        options.onOverflow?.();
        sub.close();
      } else buffered.push(m);
    },
    next(): Promise<IteratorResult<BusMessage>> {
      if (buffered.length) {
        const value = buffered.shift()!;
        if (room && buffered.length < room.below) {
          room.resolve();
          room = null;
        }
        if (ending && !buffered.length) sub.close();
        return Promise.resolve({ value, done: false });
      }
      if (closed) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    return(): Promise<IteratorResult<BusMessage>> {
      sub.close();
      return Promise.resolve({ value: undefined, done: true });
    },
    close() {
      if (closed) return;
      closed = true;
      buffered.length = 0;
      room?.resolve();
      room = null;
      onClose();
      waiting?.({ value: undefined, done: true });
      waiting = null;
    },
    [Symbol.asyncIterator]() {
      return sub;
    },
  };
  return sub as SubscriptionQueue;
}

/** A subscription's queue as its producer sees it. */
export interface SubscriptionQueue extends BusSubscription {
  push(m: BusMessage): void;
  /** No more messages: those waiting are still read, then the queue ends. */
  end(): void;
  /** Messages waiting to be read. */
  readonly size: number;
  /** Resolves once fewer than `count` messages wait (or the queue is closed): back-pressure for a producer. */
  whenBelow(count: number): Promise<void>;
}
