import type {
  JobCounts,
  JobHandler,
  JobQueue,
  JobQueueKind,
  JobTemplate,
  JobWorker,
  JobWorkerOptions,
  NamedJobQueue,
  NewJob,
} from './job-queue.js';

/**
 * A job queue whose implementation (BullMQ, ioredis: about a tenth of the hub's module loading) is
 * loaded when the queue is first used and not before `loadAfter` settles, so a start does not load
 * it before the API answers (issue 15). It behaves as the queue it loads: the same queues, workers
 * and errors; a worker asked for before then starts once it is loaded.
 */
export class LazyJobQueue implements JobQueue {
  readonly #queues = new Map<string, LazyNamedQueue<unknown>>();
  #loaded: Promise<JobQueue> | null = null;
  #closed = false;
  /** Settles at close: a queue closed while it waits for `loadAfter` does not wait for it any more. */
  #closingNow: () => void = () => {};
  readonly #closing = new Promise<void>((resolve) => {
    this.#closingNow = resolve;
  });

  constructor(
    readonly kind: JobQueueKind,
    private readonly load: () => Promise<JobQueue>,
    private readonly loadAfter: Promise<unknown> = Promise.resolve(),
  ) {}

  /** @internal The loaded queue, loading it on the first call. */
  loaded(): Promise<JobQueue> {
    if (this.#closed) return Promise.reject(new Error('The job queue is closed.'));
    this.#loaded ??= Promise.race([this.loadAfter.catch(() => {}), this.#closing]).then(() => {
      if (this.#closed) throw new Error('The job queue is closed.');
      return this.load();
    });
    return this.#loaded;
  }

  /** @internal */
  get closed(): boolean {
    return this.#closed;
  }

  queue<T>(name: string): NamedJobQueue<T> {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) {
      throw new Error(`Queue name "${name}" must be 1-100 letters, digits, ".", "_" or "-".`);
    }
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new LazyNamedQueue(name, this);
      this.#queues.set(name, queue);
    }
    return queue as NamedJobQueue<T>;
  }

  async checkReady(): Promise<void> {
    await (await this.loaded()).checkReady();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#closingNow();
    // Never loaded: nothing connected. Loading: it closes once loaded, with the workers it started.
    const loaded = await this.#loaded?.catch(() => null);
    await loaded?.close();
  }
}

class LazyNamedQueue<T> implements NamedJobQueue<T> {
  constructor(
    readonly name: string,
    private readonly owner: LazyJobQueue,
  ) {}

  async #real(): Promise<NamedJobQueue<T>> {
    return (await this.owner.loaded()).queue<T>(this.name);
  }

  async add(job: NewJob<T>): Promise<void> {
    await (await this.#real()).add(job);
  }

  process(handler: JobHandler<T>, options?: JobWorkerOptions<T>): JobWorker {
    let closing = false;
    // A worker closed before the queue loaded never starts; one closed after stops as any other.
    const started = this.#real().then(
      (queue) => (closing || this.owner.closed ? null : queue.process(handler, options)),
      () => null,
    );
    return {
      close: async () => {
        closing = true;
        await (await started)?.close();
      },
    };
  }

  async schedule(schedulerId: string, everyMs: number, template: JobTemplate<T>): Promise<void> {
    await (await this.#real()).schedule(schedulerId, everyMs, template);
  }

  async unschedule(schedulerId: string): Promise<void> {
    await (await this.#real()).unschedule(schedulerId);
  }

  async counts(): Promise<JobCounts> {
    return (await this.#real()).counts();
  }

  async pause(): Promise<void> {
    await (await this.#real()).pause();
  }

  async resume(): Promise<void> {
    await (await this.#real()).resume();
  }

  async isPaused(): Promise<boolean> {
    return (await this.#real()).isPaused();
  }
}
