import { subscribe, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { createSubscriptionQueue, type QueueOptions } from '../infrastructure/bus/message-bus.js';
import type { Principal } from '../core/principal.js';

interface Listener {
  push(result: ExecutionResult): void;
  end(): void;
}
interface Source {
  listeners: Set<Listener>;
  stop: () => void;
}

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
    const listener: Listener = { push: (result) => own.push({ subject: '', data: result }), end: () => own.close() };
    source.listeners.add(listener);
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      next: async () => {
        const r = await own.next();
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
      try {
        for await (const result of results) for (const listener of source.listeners) listener.push(result);
      } finally {
        if (this.#sources.get(key) === source) this.#sources.delete(key);
        for (const listener of [...source.listeners]) listener.end();
      }
    })().catch((err: Error) => console.error(`[ws] a shared subscription failed: ${err.message}`));
    return source;
  }
}
