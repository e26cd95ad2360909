import { type Job, type JobsOptions, type JobType, type Queue, UnrecoverableError, Worker } from 'bullmq';
import {
  type Backoff,
  checkJobId,
  type FinalFailure,
  type JobCounts,
  type JobHandler,
  type JobQueue,
  type JobQueueKind,
  JobRateLimitedError,
  type JobWorker,
  type JobWorkerOptions,
  type NamedJobQueue,
  type NewJob,
  PermanentJobError,
  type JobTemplate,
  type RunningJob,
} from './job-queue.js';

/** What differs between BullMQ on Redis and on PostgreSQL: the classes and the connections they get. */
export interface QueueBacking {
  readonly kind: JobQueueKind;
  readonly Queue: new (
    name: string,
    // biome-ignore lint/suspicious/noExplicitAny: each backing's class takes its own options type
    options: any,
  ) => Queue;
  readonly Worker: new (
    name: string,
    processor: (job: Job) => Promise<unknown>,
    // biome-ignore lint/suspicious/noExplicitAny: each backing's class takes its own options type
    options: any,
  ) => Worker;
  /** Once, before the first queue: connect, migrate. */
  ready(): Promise<void>;
  /** Makes a pending `ready()` give up (the queue is closing). */
  stopWaiting?(): void;
  /** Options (connection, prefix) for a producer. */
  queueOptions(): Record<string, unknown>;
  /** Options for one worker, with what to close after it. */
  workerOptions(): { options: Record<string, unknown>; release(): Promise<void> };
  checkReady(): Promise<void>;
  close(): Promise<void>;
}

export interface BullJobQueueOptions {
  /** Completed jobs kept for the counts and for inspection. */
  keepCompleted?: { ageSeconds: number; count: number };
  /** Failed jobs kept in BullMQ (dead letters belong in the runtime's database, see `onFinalFailure`). */
  keepFailed?: { ageSeconds: number; count: number };
  /** How long a worker may go silent before its job counts as stalled and runs again (and the check's period). */
  lockDurationMs?: number;
  /** How long `close()` waits for running jobs before it leaves them to stall and run elsewhere. */
  closeTimeoutMs?: number;
  /** Where worker errors (lost connections) are reported; they recover on their own. */
  warn?: (message: string) => void;
}

const DEFAULTS = {
  keepCompleted: { ageSeconds: 24 * 3600, count: 1000 },
  keepFailed: { ageSeconds: 7 * 24 * 3600, count: 10_000 },
  lockDurationMs: 30_000,
  closeTimeoutMs: 10_000,
};
/** A job that stalls runs again rather than failing: a crash mid-delivery must not lose it. */
const MAX_STALLED = 10;

/** The job queue on BullMQ 6; the backing decides Redis or PostgreSQL (incl. embedded PGlite). */
export class BullJobQueue implements JobQueue {
  readonly kind: JobQueueKind;
  // biome-ignore lint/suspicious/noExplicitAny: one map holds the queues of every job data type
  readonly #queues = new Map<string, BullNamedQueue<any>>();
  // biome-ignore lint/suspicious/noExplicitAny: one set holds the workers of every job data type
  readonly #workers = new Set<BullWorker<any>>();
  readonly #options: Required<BullJobQueueOptions>;
  #ready: Promise<void> | null = null;
  #closing: Promise<void> | null = null;

  constructor(
    private readonly backing: QueueBacking,
    options: BullJobQueueOptions = {},
  ) {
    this.kind = backing.kind;
    const merged = { ...DEFAULTS, warn: (m: string) => console.warn(m), ...options };
    this.#options = { ...merged, warn: quiet(merged.warn) };
  }

  queue<T>(name: string): NamedJobQueue<T> {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) {
      throw new Error(`Queue name "${name}" must be 1-100 letters, digits, ".", "_" or "-".`);
    }
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new BullNamedQueue<T>(name, this);
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async checkReady(): Promise<void> {
    if (this.#closing) throw new Error('The job queue is closed.');
    await this.backing.checkReady();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.backing.stopWaiting?.();
      await Promise.allSettled([...this.#workers].map((w) => w.close()));
      await Promise.allSettled([...this.#queues.values()].map((q) => q.closeQueue()));
      await this.backing.close();
    })();
    return this.#closing;
  }

  /** @internal Connects and migrates once, on first use: a hub without connectors never touches the backing. */
  ready(): Promise<void> {
    if (this.#closing) return Promise.reject(new Error('The job queue is closed.'));
    this.#ready ??= this.backing.ready().catch((err: unknown) => {
      this.#ready = null;
      throw err;
    });
    return this.#ready;
  }

  /** @internal */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /** @internal */
  get internals() {
    return { backing: this.backing, options: this.#options, workers: this.#workers };
  }
}

class BullNamedQueue<T> implements NamedJobQueue<T> {
  #queue: Promise<Queue> | null = null;
  constructor(
    readonly name: string,
    private readonly owner: BullJobQueue,
  ) {}

  /** @internal */
  bull(): Promise<Queue> {
    if (this.owner.closed) return Promise.reject(new Error('The job queue is closed.'));
    this.#queue ??= this.owner
      .ready()
      .then(async () => {
        const queue = new this.owner.internals.backing.Queue(this.name, this.owner.internals.backing.queueOptions());
        queue.on('error', (err: Error) =>
          this.owner.internals.options.warn(`[jobs] queue ${this.name}: ${err.message}`),
        );
        await queue.waitUntilReady();
        return queue;
      })
      .catch((err: unknown) => {
        this.#queue = null;
        throw err;
      });
    return this.#queue;
  }

  async add(job: NewJob<T>): Promise<void> {
    checkJobId(job.id);
    const queue = await this.bull();
    await queue.add(job.name, job.data, { ...this.#jobOptions(job), jobId: job.id, delay: job.delayMs });
  }

  process(handler: JobHandler<T>, options: JobWorkerOptions<T> = {}): JobWorker {
    const worker = new BullWorker<T>(this, this.owner, handler, options);
    this.owner.internals.workers.add(worker);
    return worker;
  }

  async schedule(schedulerId: string, everyMs: number, template: JobTemplate<T>): Promise<void> {
    checkJobId(schedulerId);
    if (!(everyMs >= 10)) throw new Error(`A schedule runs at most every 10 ms, got ${everyMs}.`);
    const queue = await this.bull();
    const job = { name: template.name, data: template.data, opts: this.#jobOptions(template) };
    await queue.upsertJobScheduler(schedulerId, { every: everyMs }, job);
  }

  async unschedule(schedulerId: string): Promise<void> {
    await (await this.bull()).removeJobScheduler(schedulerId);
  }

  async counts(): Promise<JobCounts> {
    // The PostgreSQL backend reports the waiting jobs of a paused queue as `paused`, Redis as `waiting`.
    const states = ['waiting', 'paused', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as JobType[];
    const c = await (await this.bull()).getJobCounts(...states);
    const n = (k: string) => c[k] ?? 0;
    return {
      waiting: n('waiting') + n('paused') + n('prioritized'),
      active: n('active'),
      delayed: n('delayed'),
      failed: n('failed'),
      completed: n('completed'),
    };
  }

  async pause(): Promise<void> {
    await (await this.bull()).pause();
  }

  async resume(): Promise<void> {
    await (await this.bull()).resume();
  }

  async isPaused(): Promise<boolean> {
    return (await this.bull()).isPaused();
  }

  /** @internal */
  async closeQueue(): Promise<void> {
    if (this.#queue) await (await this.#queue.catch(() => null))?.close();
  }

  #jobOptions(job: { attempts?: number; backoff?: Backoff }): JobsOptions {
    const { keepCompleted, keepFailed } = this.owner.internals.options;
    return {
      attempts: Math.max(1, job.attempts ?? 1),
      backoff: job.backoff && { type: job.backoff.type, delay: job.backoff.delayMs, jitter: job.backoff.jitter },
      removeOnComplete: { age: keepCompleted.ageSeconds, count: keepCompleted.count },
      removeOnFail: { age: keepFailed.ageSeconds, count: keepFailed.count },
    };
  }
}

/** Marks an error whose final failure was already handed to `onFinalFailure`. */
const REPORTED = Symbol('reported');

class BullWorker<T> implements JobWorker {
  readonly #running = new Set<Promise<unknown>>();
  readonly #started: Promise<{ worker: Worker; release(): Promise<void> } | null>;
  #closing: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(
    queue: BullNamedQueue<T>,
    private readonly owner: BullJobQueue,
    private readonly handler: JobHandler<T>,
    private readonly options: JobWorkerOptions<T>,
  ) {
    this.#started = this.#start(queue);
  }

  /** Keeps trying while the backing is unreachable (a hub may start before Redis), until closed. */
  async #start(queue: BullNamedQueue<T>) {
    const { backing, options: settings } = this.owner.internals;
    for (let retryMs = 1000; ; retryMs = Math.min(retryMs * 2, 30_000)) {
      if (this.#closing) return null;
      try {
        const bull = await queue.bull();
        if (this.#closing) return null;
        const { options: connection, release } = backing.workerOptions();
        const worker = new backing.Worker(queue.name, (job) => this.#track(this.#run(bull, job)), {
          ...connection,
          concurrency: Math.max(1, this.options.concurrency ?? 1),
          lockDuration: settings.lockDurationMs,
          stalledInterval: settings.lockDurationMs,
          maxStalledCount: MAX_STALLED,
        });
        worker.on('error', (err: Error) => settings.warn(`[jobs] worker ${queue.name}: ${err.message}`));
        worker.on('failed', (job: Job | undefined, err: Error) => void this.#failedOutside(job, err));
        return { worker, release };
      } catch (err) {
        if (this.#closing) return null;
        const reason = (err as Error).message;
        settings.warn(`[jobs] worker ${queue.name} could not start, trying again in ${retryMs / 1000} s: ${reason}`);
        await new Promise<void>((r) => {
          const timer = setTimeout(r, retryMs);
          this.#wake = () => {
            clearTimeout(timer);
            r();
          };
        });
      }
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#wake?.();
      const started = await this.#started;
      if (!started) return;
      // Take no new jobs, give the running ones a bounded time, then leave the rest to stall and run again.
      await started.worker.pause(true).catch(() => {});
      const { closeTimeoutMs } = this.owner.internals.options;
      const timeout = new Promise<'timeout'>((r) => setTimeout(r, closeTimeoutMs, 'timeout').unref());
      const finished = await Promise.race([Promise.allSettled([...this.#running]), timeout]);
      await started.worker.close(finished === 'timeout').catch(() => {});
      await started.release();
      this.owner.internals.workers.delete(this);
    })();
    return this.#closing;
  }

  #track<R>(run: Promise<R>): Promise<R> {
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run)).catch(() => {});
    return run;
  }

  async #run(queue: Queue, job: Job): Promise<void> {
    const running: RunningJob<T> = {
      ...runningJob<T>(job),
      attempt: job.attemptsMade + 1,
    };
    try {
      await this.handler(running);
    } catch (err) {
      if (err instanceof JobRateLimitedError) {
        // The whole queue waits; the job goes back to waiting without using an attempt.
        await queue.rateLimit(err.waitMs);
        throw Worker.RateLimitError();
      }
      const permanent = err instanceof PermanentJobError;
      const message = err instanceof Error ? err.message : String(err);
      const failure = permanent ? new UnrecoverableError(message) : err instanceof Error ? err : new Error(message);
      if (permanent || running.attempt >= running.maxAttempts) {
        // Before BullMQ marks the job failed: a crash in between runs it again instead of losing the dead letter.
        // Should the hook fail, the job is failed unmarked and `#failedOutside` tries the hook once more.
        const reported = await this.options.onFinalFailure?.({ job: running, error: message, permanent }).then(
          () => true,
          (e: unknown) => {
            const { warn } = this.owner.internals.options;
            warn(`[jobs] final-failure hook for job ${running.id} failed: ${(e as Error).message}`);
            return false;
          },
        );
        if (reported) Object.assign(failure, { [REPORTED]: true });
      }
      throw failure;
    }
  }

  /**
   * Final failures whose hook failed in the handler get one more try here. (Jobs BullMQ fails by
   * itself, stalled too often, raise no worker event: they show in `counts().failed` only.)
   */
  async #failedOutside(job: Job | undefined, err: Error): Promise<void> {
    if (!job || (err as { [REPORTED]?: boolean })[REPORTED] || !this.options.onFinalFailure) return;
    const permanent = err.name === 'UnrecoverableError';
    if (!permanent && job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const failure: FinalFailure<T> = {
      job: { ...runningJob<T>(job), attempt: job.attemptsMade },
      error: err.message,
      permanent,
    };
    await this.options.onFinalFailure(failure).catch((e: unknown) => {
      const warn = this.owner.internals.options.warn;
      warn(`[jobs] job ${job.id} failed for good and its final-failure hook failed: ${(e as Error).message}`);
    });
  }
}

function runningJob<T>(job: Job): Omit<RunningJob<T>, 'attempt'> {
  return { id: job.id!, name: job.name, data: job.data as T, maxAttempts: job.opts.attempts ?? 1 };
}

/**
 * The same source (`[jobs] worker <queue>`, the text before the first colon) speaks at most once a
 * minute: during a database or Redis outage every worker and queue reports every reconnect.
 */
function quiet(warn: (message: string) => void, everyMs = 60_000): (message: string) => void {
  const last = new Map<string, number>();
  return (message) => {
    const source = message.split(':')[0]!;
    const now = Date.now();
    if (now - (last.get(source) ?? 0) < everyMs) return;
    last.set(source, now);
    warn(message);
  };
}
