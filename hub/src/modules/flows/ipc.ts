/**
 * Calls over the IPC channel between the hub and its flows child process, both ways: a call names
 * a method and its arguments and is answered once, with a result or an error message. The channel
 * is the one `child_process.fork` opens (never the environment or the command line), so what
 * passes here (the child's credential, the storage calls) is seen by the two processes only.
 */

/** One end of the channel: the child's `process`, or the hub's `ChildProcess`. */
export interface IpcChannel {
  send(message: unknown, callback?: (err: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  readonly connected: boolean;
}

type Call = { pg: 'call'; id: number; method: string; args: unknown[] };
type Answer = { pg: 'answer'; id: number; result?: unknown; error?: string };
type Note = { pg: 'note'; method: string; args: unknown[] };
export type Handler = (...args: never[]) => unknown;

/** The calls the other end may make, by name. */
export type Handlers = Record<string, Handler>;

const isMessage = (m: unknown): m is Call | Answer | Note =>
  !!m && typeof m === 'object' && ['call', 'answer', 'note'].includes((m as { pg?: string }).pg ?? '');

export class IpcPeer {
  #next = 1;
  readonly #pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout | null }
  >();
  readonly #listener = (message: unknown) => this.#receive(message);

  constructor(
    private readonly channel: IpcChannel,
    private readonly handlers: Handlers,
  ) {
    channel.on('message', this.#listener);
  }

  /** Calls `method` on the other end; rejects with its error, or when no answer came within `timeoutMs`. */
  call<T = unknown>(method: string, args: unknown[] = [], timeoutMs = 30_000): Promise<T> {
    if (!this.channel.connected) return Promise.reject(new Error('the flows process is not connected'));
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.#pending.delete(id);
              reject(new Error(`${method}: no answer from the other process within ${timeoutMs} ms`));
            }, timeoutMs)
          : null;
      timer?.unref();
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#send({ pg: 'call', id, method, args } satisfies Call, (err) => {
        if (!err) return;
        this.#settle(id, { pg: 'answer', id, error: `${method}: ${err.message}` });
      });
    });
  }

  /** Tells the other end something that needs no answer (a log line). */
  notify(method: string, ...args: unknown[]): void {
    this.#send({ pg: 'note', method, args } satisfies Note);
  }

  /** Stops listening; calls still waiting fail. */
  close(reason = 'the flows process is gone'): void {
    this.channel.off('message', this.#listener);
    for (const id of [...this.#pending.keys()]) this.#settle(id, { pg: 'answer', id, error: reason });
  }

  #send(message: Call | Answer | Note, callback?: (err: Error | null) => void): void {
    if (!this.channel.connected) {
      callback?.(new Error('the channel is closed'));
      return;
    }
    try {
      this.channel.send(message, callback ?? (() => {}));
    } catch (err) {
      callback?.(err as Error);
    }
  }

  #settle(id: number, answer: Answer): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    if (pending.timer) clearTimeout(pending.timer);
    if (answer.error !== undefined) pending.reject(new Error(answer.error));
    else pending.resolve(answer.result);
  }

  #receive(message: unknown): void {
    if (!isMessage(message)) return;
    if (message.pg === 'answer') {
      this.#settle(message.id, message);
      return;
    }
    const handler = Object.hasOwn(this.handlers, message.method) ? this.handlers[message.method] : undefined;
    if (message.pg === 'note') {
      if (handler) void Promise.resolve().then(() => handler(...(message.args as never[])));
      return;
    }
    const { id, method } = message;
    if (!handler) {
      this.#send({ pg: 'answer', id, error: `unknown call "${method}"` });
      return;
    }
    Promise.resolve()
      .then(() => handler(...(message.args as never[])))
      .then(
        (result) => this.#send({ pg: 'answer', id, result: result ?? null }),
        (err: Error) => this.#send({ pg: 'answer', id, error: err?.message ?? String(err) }),
      );
  }
}
