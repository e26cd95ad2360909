/**
 * The connector runtime's job queue, behind one interface with three backings of BullMQ 6: Redis
 * (`REDIS_URL`, production), BullMQ's PostgreSQL backend on the hub's PostgreSQL (`DATABASE_URL`
 * without Redis) and the same backend on the embedded PGlite database. `test/queue.contract.test.ts`
 * runs one contract against all three.
 *
 * Delivery is at least once: a job whose worker died (or lost Redis) after the external call but
 * before its completion was recorded runs again. Handlers must be idempotent (connectors carry an
 * idempotency key per delivery); the queue only promises that nothing is lost.
 */

export type JobQueueKind = 'redis' | 'postgres' | 'embedded';

export interface Backoff {
  /** `exponential`: `delayMs * 2^(attempt-1)`; `fixed`: `delayMs` every time. */
  type: 'fixed' | 'exponential';
  delayMs: number;
  /** 0..1: the share of each delay drawn at random, so replicas that failed together do not retry together. */
  jitter?: number;
}

export interface NewJob<T> {
  /**
   * Stable id (e.g. derived from the hub event): adding an id that still exists is ignored.
   * Letters, digits, `.`, `_`, `-` only, not all digits (BullMQ's rules for custom ids).
   */
  id: string;
  /** What kind of work this is, for the handler and for people reading the queue. */
  name: string;
  data: T;
  /** Runs at most this often in all (1 = no retry). */
  attempts?: number;
  backoff?: Backoff;
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
}

/** What each run of a scheduler adds. */
export type JobTemplate<T> = Pick<NewJob<T>, 'name' | 'data' | 'attempts' | 'backoff'>;

export interface RunningJob<T> {
  id: string;
  name: string;
  data: T;
  /** This run's number, from 1; rate-limited runs do not count. */
  attempt: number;
  maxAttempts: number;
}

export interface FinalFailure<T> {
  job: RunningJob<T>;
  /** The handler's message (for a connector: the external system's own words). */
  error: string;
  /** True when the handler said retrying cannot help ({@link PermanentJobError}). */
  permanent: boolean;
}

/** Thrown by a handler: retrying cannot help (e.g. a business error from the external system). */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

/**
 * Thrown by a handler when the external system asks to slow down (HTTP 429): the whole queue waits
 * `waitMs`, and the job runs again afterwards without using up an attempt.
 */
export class JobRateLimitedError extends Error {
  override readonly name = 'JobRateLimitedError';
  constructor(
    readonly waitMs: number,
    message = `Rate limited for ${waitMs} ms`,
  ) {
    super(message);
  }
}

/**
 * Runs a job. Resolve: done. Throw {@link PermanentJobError}: failed for good. Throw
 * {@link JobRateLimitedError}: wait, try again. Throw anything else: retry with the job's backoff
 * while attempts remain.
 */
export type JobHandler<T> = (job: RunningJob<T>) => Promise<void>;

export interface JobWorkerOptions<T> {
  /** Jobs of this queue run at most this many at a time in this process (default 1). */
  concurrency?: number;
  /**
   * Called once when a job has failed for good (attempts used up, or permanent), before the job
   * is marked failed: keep the dead letter here (BullMQ has none). Should the process die before
   * the job is marked failed, the job runs again and this may be called again.
   */
  onFinalFailure?: (failure: FinalFailure<T>) => Promise<void>;
}

export interface JobWorker {
  /** Stops taking jobs and waits (bounded) for the running ones. */
  close(): Promise<void>;
}

/** Jobs per state, for the connectors' status in GraphQL. */
export interface JobCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

export interface NamedJobQueue<T> {
  readonly name: string;
  add(job: NewJob<T>): Promise<void>;
  /** Starts a worker in this process; every replica may start one, each job runs on one of them. */
  process(handler: JobHandler<T>, options?: JobWorkerOptions<T>): JobWorker;
  /**
   * Creates or updates a scheduler: a job from `template` every `everyMs`, once per period across
   * all replicas (the next run is one job with one id, whoever upserts it).
   */
  schedule(schedulerId: string, everyMs: number, template: JobTemplate<T>): Promise<void>;
  unschedule(schedulerId: string): Promise<void>;
  counts(): Promise<JobCounts>;
  /** Pauses this queue for every replica: nothing new starts until `resume()`. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  isPaused(): Promise<boolean>;
}

export interface JobQueue {
  readonly kind: JobQueueKind;
  /** One named queue (e.g. one per connector instance and direction); the same object per name. */
  queue<T>(name: string): NamedJobQueue<T>;
  /** Resolves when the backing store answers; rejects with the reason otherwise. */
  checkReady(): Promise<void>;
  /** Closes workers (waiting a bounded time for running jobs), then queues and connections. */
  close(): Promise<void>;
}

/** Custom ids become Redis keys and PostgreSQL values alike; one rule for every backing. */
export function checkJobId(id: string): void {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(id) || /^\d+$/.test(id)) {
    throw new Error(`Job id "${id}" must be 1-200 letters, digits, ".", "_" or "-", and not all digits.`);
  }
}
