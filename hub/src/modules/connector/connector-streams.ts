import type { InboundStream, StreamHandle } from '@plantgraph/connector-sdk';
import type { HubLog } from '../../extensions.js';

/** The first pause before a stream is opened again; it doubles with each failure in a row. */
const FIRST_PAUSE_MS = 1000;
const LONGEST_PAUSE_MS = 30_000;

interface StreamState {
  handle: StreamHandle | null;
  /** Failures in a row (opening, or an open stream lost); 0 once a stream opened. */
  failures: number;
  timer: NodeJS.Timeout | null;
  /** Bumped at each open and close: a late `lost` from a stream already replaced is ignored. */
  generation: number;
}

export interface StreamSupervisorOptions {
  /** The instance's name, for the log. */
  connector: string;
  streams: Readonly<Record<string, InboundStream>>;
  log: HubLog;
  /** Records why a stream failed where the instance's last error is shown. */
  recordError(message: string): Promise<void>;
}

/**
 * Keeps one connector instance's inbound streams open while this replica runs them (the lease
 * holder): opens each, opens it again after a growing pause when opening fails or the stream says it
 * is lost, and closes them all when the instance stops or the lease moves.
 */
export class StreamSupervisor {
  readonly #state = new Map<string, StreamState>();
  #running = false;

  constructor(private readonly o: StreamSupervisorOptions) {}

  /** Opens every stream (failures are retried in the background). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const name of Object.keys(this.o.streams)) {
      this.#state.set(name, { handle: null, failures: 0, timer: null, generation: 0 });
      void this.#open(name);
    }
  }

  /** Closes every stream and stops reopening them. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await Promise.all(
      [...this.#state.entries()].map(async ([name, state]) => {
        state.generation++;
        if (state.timer) clearTimeout(state.timer);
        const handle = state.handle;
        state.handle = null;
        await handle?.close().catch((err: Error) => this.#warn(name, `closing failed: ${err.message}`));
      }),
    );
    this.#state.clear();
  }

  get running(): boolean {
    return this.#running;
  }

  async #open(name: string): Promise<void> {
    const state = this.#state.get(name);
    if (!state || !this.#running) return;
    state.timer = null;
    const generation = ++state.generation;
    try {
      const handle = await this.o.streams[name]!.open((error) => void this.#lost(name, generation, error));
      if (!this.#running || state.generation !== generation) {
        await handle.close().catch(() => {}); // stopped while it was opening
        return;
      }
      state.handle = handle;
      state.failures = 0;
      this.o.log.log(`[connector ${this.o.connector}] stream ${name}: open`);
    } catch (err) {
      if (state.generation === generation) await this.#failed(name, state, `cannot open: ${(err as Error).message}`);
    }
  }

  async #lost(name: string, generation: number, error: Error): Promise<void> {
    const state = this.#state.get(name);
    if (!state || state.generation !== generation || !this.#running) return;
    state.generation++;
    const handle = state.handle;
    state.handle = null;
    await handle?.close().catch(() => {});
    await this.#failed(name, state, `lost: ${error.message}`);
  }

  async #failed(name: string, state: StreamState, reason: string): Promise<void> {
    state.failures++;
    const pause = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (state.failures - 1));
    // Said once per run of failures, then again when the pause has grown to its longest.
    if (state.failures === 1 || pause === LONGEST_PAUSE_MS)
      this.#warn(name, `${reason}; opening it again in ${pause / 1000} s`);
    await this.o.recordError(`stream ${name}: ${reason}`).catch(() => {});
    if (this.#running) state.timer = setTimeout(() => void this.#open(name), pause);
  }

  #warn(name: string, message: string): void {
    this.o.log.warn(`[connector ${this.o.connector}] stream ${name}: ${message}`);
  }
}
