import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** One dependency as `/readyz` reports it. */
export interface DependencyHealth {
  /** What it is, e.g. PostgreSQL, PGlite, NATS, in-process bus. */
  name: string;
  status: 'ok' | 'unreachable';
  /** Since when it has been in this status (the hub's start for the first probe). */
  since: string;
  /** Why it is unreachable. */
  error?: string;
}

export interface Readiness {
  ready: boolean;
  /** When the probe last finished. */
  checkedAt: string;
  database: DependencyHealth;
  bus: DependencyHealth;
}

export interface ReadinessProbeOptions {
  /** Pause between two probes. */
  everyMs?: number;
  /** How long one check may take before its dependency counts as unreachable. */
  timeoutMs?: number;
}

type Check = { name: string; check: () => Promise<unknown> };

/**
 * What `/readyz` answers, kept fresh by a background probe so the answer never waits on a
 * dependency that is down (a flush to an unreachable NATS took 1-2 s per request). Each check has
 * its own timeout; the next round starts after the previous one ended, so checks never pile up.
 */
export class ReadinessProbe {
  readonly #everyMs: number;
  readonly #timeoutMs: number;
  #state: Readiness | null = null;
  #timer: NodeJS.Timeout | null = null;
  #round: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly checks: { database: Check; bus: Check },
    options: ReadinessProbeOptions = {},
  ) {
    this.#everyMs = options.everyMs ?? 1000;
    this.#timeoutMs = options.timeoutMs ?? 2000;
  }

  /** Runs the first round (so the first answer is real) and keeps probing until `stop()`. */
  async start(): Promise<void> {
    await this.#probe();
  }

  /** The latest state; answered at once. */
  get state(): Readiness {
    if (!this.#state) throw new Error('The readiness probe has not run yet; call start() first.');
    return this.#state;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#round;
  }

  #probe(): Promise<void> {
    this.#round = (async () => {
      const [database, bus] = await Promise.all([
        this.#check(this.checks.database, this.#state?.database),
        this.#check(this.checks.bus, this.#state?.bus),
      ]);
      this.#state = { ready: database.status === 'ok' && bus.status === 'ok', checkedAt: now(), database, bus };
      if (!this.#stopped) this.#timer = setTimeout(() => void this.#probe(), this.#everyMs);
    })();
    return this.#round;
  }

  async #check({ name, check }: Check, before: DependencyHealth | undefined): Promise<DependencyHealth> {
    let timer: NodeJS.Timeout | undefined;
    const error = await Promise.race([
      check().then(() => undefined),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${this.#timeoutMs} ms`), this.#timeoutMs);
      }),
    ]).catch((err: Error) => err.message);
    clearTimeout(timer);
    const status = error === undefined ? 'ok' : 'unreachable';
    const since = before?.status === status ? before.since : now();
    return { name, status, since, ...(error === undefined ? {} : { error }) };
  }
}

const now = () => new Date().toISOString();

/** How long after the hub listens the background start (BullMQ) waits at most for the API's first answer. */
export const BACKGROUND_AFTER_LISTEN_MS = 1000;

/**
 * Settles once the server has answered its first request (any; its response closed), or after `ms`:
 * when the hub's background start may begin without holding up the API's first answers (ADR 0069).
 */
export function firstAnswerOrTimeout(server: Server, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      server.off('request', onRequest);
      resolve();
    };
    const onRequest = (_req: IncomingMessage, res: ServerResponse) => res.once('close', done);
    const timer = setTimeout(done, ms);
    timer.unref();
    server.once('request', onRequest);
  });
}
