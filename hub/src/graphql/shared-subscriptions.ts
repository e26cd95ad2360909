import { subscribe, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Principal } from '../core/principal.js';

/**
 * One result of a shared execution, serialised once for every subscriber: as text, and as UTF-8
 * bytes made on first use (graphql/ws.ts writes them into each socket's frame without encoding again).
 */
export class SharedResult {
  #bytes: Buffer | null = null;
  constructor(readonly text: string) {}
  get bytes(): Buffer {
    this.#bytes ??= Buffer.from(this.text);
    return this.#bytes;
  }
}

/**
 * Where one subscriber's results go: graphql-ws `next` frames with its own operation id, written
 * straight to its socket (graphql/ws.ts decides how, and closes a socket that stops reading).
 */
export interface Recipient {
  /** graphql-ws's id of the operation on its socket. */
  id: string;
  /** Writes one whole `next` frame of this operation with the shared result as its payload. */
  next(result: SharedResult): void;
}

interface Listener {
  deliver(result: SharedResult): void;
  /** The shared execution ended; with the error that ended it (e.g. the event bus became unreachable). */
  end(error?: unknown): void;
}
interface Source {
  listeners: Set<Listener>;
  stop: () => void;
}

/** Frames held for a subscriber between joining and graphql-ws starting to read it (microseconds, normally). */
const MAX_HELD = 1000;

/**
 * Subscribers with the same operation, variables and identity get the same results, so each
 * event is executed once per distinct subscription, its result serialised once, and the same
 * string written to every subscriber's socket between a prefix and a suffix naming the
 * subscriber's own operation id (ADR 0032): with a wall of andon boards on the same line, or a
 * thousand dashboards, the cost of an event no longer grows with the number of screens beyond one
 * socket write each. graphql-ws still runs each operation's lifecycle (its `complete` and `error`
 * frames); the iterator it reads only ends. A subscriber that stops reading fills its own socket
 * and is closed alone (graphql/ws.ts); the execution never waits for it.
 */
export class SharedSubscriptions {
  readonly #sources = new Map<string, Source>();

  /** @param format The result as the client sees it (errors presented as over HTTP). */
  constructor(private readonly format: (result: ExecutionResult) => unknown) {}

  /** Distinct executions running now (for tests and diagnostics). */
  get size(): number {
    return this.#sources.size;
  }

  /**
   * What decides that two subscribers may share results: everything a resolver or a scope check
   * reads of the caller (name, grants, expiry) and the operation itself. Subscribers whose grants
   * differ never share an execution, so each gets only what its own scopes allow.
   */
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
    recipient: Recipient,
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
    const joined = source;
    // Until graphql-ws reads the operation it has not registered it: results wait here until then.
    let held: SharedResult[] | null = [];
    let ended = false;
    let failure: unknown = null;
    let settle: (() => void) | null = null;
    const leave = () => {
      ended = true;
      held = null;
      if (joined.listeners.delete(listener) && !joined.listeners.size) joined.stop();
      settle?.();
    };
    const listener: Listener = {
      deliver: (result) => {
        if (ended) return;
        if (!held) return recipient.next(result);
        if (held.length >= MAX_HELD) return leave();
        held.push(result);
      },
      end: (error) => {
        failure = error ?? null;
        leave();
      },
    };
    joined.listeners.add(listener);
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      next: async () => {
        if (held) {
          for (const result of held) recipient.next(result);
          held = null;
        }
        if (!ended) await new Promise<void>((r) => (settle = r));
        // Each subscriber hears why the execution ended, as graphql-ws's error message: the cursor in
        // the error is that of the last event the execution took, and every frame before it was written.
        if (failure) throw failure;
        return { done: true as const, value: undefined };
      },
      return: async () => {
        leave();
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
          // Serialised once for every subscriber of this execution.
          const payload = new SharedResult(JSON.stringify(this.format(result)));
          for (const listener of source.listeners) listener.deliver(payload);
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
