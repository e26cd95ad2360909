import { subscribe, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { createSubscriptionQueue, type QueueOptions } from '../infrastructure/bus/message-bus.js';
import type { Principal } from '../core/principal.js';

interface Listener {
  push(result: ExecutionResult): void;
  /** Waits while this subscriber's queue is more than half full; one that does not drain in time is closed as slow. */
  room(): Promise<void>;
  /** The shared execution ended; with the error that ended it (e.g. the event bus became unreachable). */
  end(error?: unknown): void;
}
interface Source {
  listeners: Set<Listener>;
  stop: () => void;
}

/** How long a shared execution waits for a subscriber to make room before closing it as too slow. */
const ROOM_WAIT_MS = 5000;

/**
 * Subscribers with the same operation, variables and identity get the same results, so each
 * event is executed once per distinct subscription and the result handed to all of them: with a
 * wall of andon boards on the same line, the cost of an event no longer grows with the number of
 * screens. Each subscriber keeps its own bounded queue, so a slow one is closed alone.
 */
export class SharedSubscriptions {
  readonly #sources = new Map<string, Source>();

  /** Distinct executions running now (for tests and diagnostics). */
  get size(): number {
    return this.#sources.size;
  }

  static key(
    principal: Principal,
    query: string,
    variables: unknown,
    operationName: string | null | undefined,
  ): string {
    return JSON.stringify([
      principal.name,
      principal.grants,
      principal.expiresAt?.getTime() ?? null,
      query,
      variables ?? null,
      operationName ?? null,
    ]);
  }

  async subscribe(
    key: string,
    args: ExecutionArgs,
    queue: QueueOptions,
  ): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    let source = this.#sources.get(key);
    if (!source) {
      const results = await subscribe(args);
      if (!(Symbol.asyncIterator in results)) return results; // refused: the caller sees the errors
      // Another subscriber may have started the same execution while this one was opening.
      source = this.#sources.get(key);
      if (source) void results.return?.(undefined);
      else source = this.#start(key, results);
    }
    const own = createSubscriptionQueue(() => {
      source.listeners.delete(listener);
      if (!source.listeners.size) source.stop();
    }, queue);
    let failure: unknown = null;
    const listener: Listener = {
      push: (result) => own.push({ subject: '', data: result }),
      room: async () => {
        if (queue.limit === undefined || own.size < Math.ceil(queue.limit / 2)) return;
        let timer: NodeJS.Timeout | undefined;
        const stalled = new Promise<false>((r) => (timer = setTimeout(() => r(false), ROOM_WAIT_MS)));
        const drained = own.whenBelow(Math.ceil(queue.limit / 2)).then(() => true);
        if (!(await Promise.race([drained, stalled]).finally(() => clearTimeout(timer)))) {
          queue.onOverflow?.(); // it stopped reading: close it as the queue's limit would
          own.close();
        }
      },
      end: (error) => {
        // What the subscriber has not read yet still reaches it, then the error: the cursor in the
        // error is that of the last event the execution took, so nothing between is skipped.
        failure = error ?? null;
        own.end();
      },
    };
    source.listeners.add(listener);
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      next: async () => {
        const r = await own.next();
        if (r.done && failure) throw failure; // each subscriber hears why, as graphql-ws's error message
        return r.done
          ? { done: true as const, value: undefined }
          : { done: false as const, value: r.value.data as ExecutionResult };
      },
      return: async () => {
        own.close();
        return { done: true as const, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  #start(key: string, results: AsyncGenerator<ExecutionResult, void, void>): Source {
    const source: Source = {
      listeners: new Set(),
      stop: () => {
        if (this.#sources.get(key) === source) this.#sources.delete(key);
        void results.return(undefined);
      },
    };
    this.#sources.set(key, source);
    void (async () => {
      let failure: unknown;
      try {
        for await (const result of results) {
          for (const listener of source.listeners) listener.push(result);
          // The execution goes at the pace of its slowest reader; the events wait in the feed, which
          // falls back to reading them from the outbox (core/event-feed.ts) rather than holding them.
          for (const listener of source.listeners) await listener.room();
        }
      } catch (err) {
        failure = err;
      } finally {
        if (this.#sources.get(key) === source) this.#sources.delete(key);
        for (const listener of [...source.listeners]) listener.end(failure);
      }
    })();
    return source;
  }
}
