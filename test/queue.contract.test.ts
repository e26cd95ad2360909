import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FinalFailure,
  JobRateLimitedError,
  PermanentJobError,
  type JobQueue,
  type RunningJob,
} from '@plantgraph/hub';
import { sleep, uniqueName } from './support/harness.js';
import { embeddedStore, postgresStore, redisStore, until, type QueueStore } from './support/queue.js';

interface Delivery {
  order: string;
}

/**
 * One contract for every backing of the job queue: Redis (production), BullMQ's PostgreSQL backend
 * on PostgreSQL, and the same on the embedded PGlite database. A connector must not be able to
 * tell them apart.
 */
describe.each([
  ['redis', redisStore],
  ['postgres', postgresStore],
  ['embedded', embeddedStore],
] as const)('%s job queue', (_name, openStore) => {
  let store: QueueStore;
  let jobs: JobQueue;
  // Opening PGlite (and BullMQ's migrations on it) can take a minute on a loaded two-core machine.
  beforeAll(async () => {
    store = await openStore();
    jobs = store.replica();
    await jobs.checkReady();
    await jobs.queue('warm-up').counts();
  }, 180_000);
  afterAll(async () => store?.dispose());
  const queueName = () => uniqueName('q');

  it('ignores a second job with the id of one that still exists', async () => {
    const queue = jobs.queue<Delivery>(queueName());
    await queue.add({ id: 'wo-1', name: 'confirm', data: { order: 'first' } });
    await queue.add({ id: 'wo-1', name: 'confirm', data: { order: 'second' } });
    await queue.add({ id: 'wo-2', name: 'confirm', data: { order: 'other' } });
    expect((await queue.counts()).waiting).toBe(2);
    const runs: RunningJob<Delivery>[] = [];
    const worker = queue.process(async (job) => void runs.push(job));
    await until(() => runs.length >= 2, 'both jobs');
    await sleep(300);
    await worker.close();
    expect(runs.map((r) => [r.id, r.name, r.data.order]).sort()).toEqual([
      ['wo-1', 'confirm', 'first'],
      ['wo-2', 'confirm', 'other'],
    ]);
    await expect(queue.add({ id: '4711', name: 'confirm', data: { order: 'x' } })).rejects.toThrow(/not all digits/);
    await expect(queue.add({ id: 'a:b', name: 'confirm', data: { order: 'x' } })).rejects.toThrow(/letters, digits/);
  });

  it('retries with exponential backoff and jitter, then hands the final failure to the hook once', async () => {
    const queue = jobs.queue<Delivery>(queueName());
    const runs: { id: string; attempt: number; at: number }[] = [];
    const failures: FinalFailure<Delivery>[] = [];
    const worker = queue.process(
      async (job) => {
        runs.push({ id: job.id, attempt: job.attempt, at: Date.now() });
        if (job.id === 'flaky' && job.attempt < 3) throw new Error('SAP answered 503');
        if (job.id === 'broken') throw new Error(`timeout on attempt ${job.attempt}`);
      },
      { onFinalFailure: async (f) => void failures.push(f) },
    );
    const backoff = { type: 'exponential', delayMs: 200, jitter: 0.5 } as const;
    await queue.add({ id: 'flaky', name: 'confirm', data: { order: 'o-1' }, attempts: 4, backoff });
    await queue.add({ id: 'broken', name: 'confirm', data: { order: 'o-2' }, attempts: 2, backoff });
    const flakyRuns = () => runs.filter((r) => r.id === 'flaky');
    await until(() => flakyRuns().length === 3 && failures.length === 1, 'three runs and one final failure');
    await sleep(500);
    await worker.close();
    const flaky = flakyRuns();
    expect(flaky.map((r) => r.attempt)).toEqual([1, 2, 3]);
    // Attempt n waits 200 * 2^(n-1) ms, of which half is drawn at random: [100, 200] then [200, 400] (+ polling).
    expect(flaky[1]!.at - flaky[0]!.at).toBeGreaterThanOrEqual(95);
    expect(flaky[1]!.at - flaky[0]!.at).toBeLessThan(2000);
    expect(flaky[2]!.at - flaky[1]!.at).toBeGreaterThanOrEqual(195);
    expect(runs.filter((r) => r.id === 'broken').map((r) => r.attempt)).toEqual([1, 2]);
    expect(failures).toEqual([
      {
        job: { id: 'broken', name: 'confirm', data: { order: 'o-2' }, attempt: 2, maxAttempts: 2 },
        error: 'timeout on attempt 2',
        permanent: false,
      },
    ]);
    expect(await queue.counts()).toMatchObject({ completed: 1, failed: 1, waiting: 0, delayed: 0, active: 0 });
  });

  it('waits out a rate limit without using up attempts, and holds the whole queue meanwhile', async () => {
    const queue = jobs.queue<Delivery>(queueName());
    const runs: { id: string; attempt: number; at: number }[] = [];
    let limited = 0;
    const failures: FinalFailure<Delivery>[] = [];
    const worker = queue.process(
      async (job) => {
        runs.push({ id: job.id, attempt: job.attempt, at: Date.now() });
        if (job.id === 'busy' && limited < 3) {
          limited++;
          throw new JobRateLimitedError(400, 'HTTP 429 Too Many Requests');
        }
      },
      { onFinalFailure: async (f) => void failures.push(f) },
    );
    await queue.add({ id: 'busy', name: 'confirm', data: { order: 'o-1' }, attempts: 2 });
    await until(() => limited === 1, 'the first 429');
    await queue.add({ id: 'next', name: 'confirm', data: { order: 'o-2' } });
    const busyRuns = () => runs.filter((r) => r.id === 'busy');
    await until(() => busyRuns().length === 4 && runs.some((r) => r.id === 'next'), 'both jobs done', 15_000);
    await worker.close();
    const busy = busyRuns();
    // Three 429s on a job of two attempts, and it still ran: a rate limit is not an attempt.
    expect(busy.map((r) => r.attempt)).toEqual([1, 1, 1, 1]);
    for (let i = 1; i < busy.length; i++) expect(busy[i]!.at - busy[i - 1]!.at).toBeGreaterThanOrEqual(350);
    // The job added during the first wait did not start before that wait was over.
    expect(runs.find((r) => r.id === 'next')!.at - busy[0]!.at).toBeGreaterThanOrEqual(350);
    expect(failures).toEqual([]);
    expect(await queue.counts()).toMatchObject({ completed: 2, failed: 0 });
  });

  it('sends a permanent failure straight to the hook, without retries', async () => {
    const queue = jobs.queue<Delivery>(queueName());
    let runs = 0;
    const failures: FinalFailure<Delivery>[] = [];
    const worker = queue.process(
      async () => {
        runs++;
        throw new PermanentJobError('Material 4711 is not defined in plant 1000');
      },
      { onFinalFailure: async (f) => void failures.push(f) },
    );
    const backoff = { type: 'fixed', delayMs: 50 } as const;
    await queue.add({ id: 'bad', name: 'confirm', data: { order: 'o-1' }, attempts: 5, backoff });
    await until(() => failures.length === 1, 'the final failure');
    await sleep(400);
    await worker.close();
    expect(runs).toBe(1);
    expect(failures[0]).toMatchObject({
      job: { id: 'bad', attempt: 1, maxAttempts: 5 },
      permanent: true,
      error: 'Material 4711 is not defined in plant 1000',
    });
    expect(await queue.counts()).toMatchObject({ failed: 1, waiting: 0, delayed: 0 });
  });

  it('runs at most `concurrency` jobs at a time in one worker', async () => {
    const queue = jobs.queue<Delivery>(queueName());
    let running = 0;
    let most = 0;
    let done = 0;
    for (let i = 0; i < 9; i++) await queue.add({ id: `c-${i}`, name: 'confirm', data: { order: `o-${i}` } });
    const worker = queue.process(
      async () => {
        most = Math.max(most, ++running);
        await sleep(150);
        running--;
        done++;
      },
      { concurrency: 3 },
    );
    await until(() => done === 9, 'nine jobs');
    await worker.close();
    expect(most).toBe(3);
  });

  it('runs a scheduler once per period across two replicas', async () => {
    const name = queueName();
    const other = store.replica();
    const runs: { replica: string; at: number; id: string }[] = [];
    const workers = [jobs, other].map((replica, i) =>
      replica.queue<{ poll: string }>(name).process(async (job) => {
        expect(job.name).toBe('poll-orders');
        runs.push({ replica: `r${i}`, at: Date.now(), id: job.id });
      }),
    );
    // Both replicas upsert the same scheduler, as every hub does at start.
    const upserting = Date.now();
    const template = { name: 'poll-orders', data: { poll: 'A_ProductionOrder_2' } };
    for (const replica of [jobs, other]) {
      await replica.queue<{ poll: string }>(name).schedule('sap-orders', 250, template);
    }
    const upserted = Date.now();
    await sleep(2000);
    const ending = Date.now();
    await jobs.queue(name).unschedule('sap-orders');
    await sleep(600);
    const after = runs.length;
    await sleep(600);
    await Promise.all(workers.map((w) => w.close()));
    await other.close();
    // Each period is one job with one id, whichever replica runs it: never the same period twice,
    // and about one run per period, not two: the first runs at once, a late run may skip a period,
    // on PostgreSQL the second upsert may add one run off the grid, and one may start while unscheduling.
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    expect(runs.length).toBeGreaterThanOrEqual(Math.floor((ending - upserted) / 250) - 3);
    expect(runs.length).toBeLessThanOrEqual(Math.ceil((ending - upserting) / 250) + 3);
    expect(runs.length).toBe(after); // nothing after unschedule
  });

  it('counts jobs per state and pauses for every replica', async () => {
    const queue = jobs.queue<Delivery>(queueName());
    await queue.pause();
    expect(await queue.isPaused()).toBe(true);
    await queue.add({ id: 'w-1', name: 'confirm', data: { order: 'o-1' } });
    await queue.add({ id: 'w-2', name: 'confirm', data: { order: 'fail' } });
    await queue.add({ id: 'later', name: 'confirm', data: { order: 'o-3' }, delayMs: 60_000 });
    expect(await queue.counts()).toEqual({ waiting: 2, active: 0, delayed: 1, failed: 0, completed: 0 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const started: string[] = [];
    const worker = queue.process(
      async (job) => {
        started.push(job.id);
        if (job.data.order === 'fail') throw new PermanentJobError('no');
        await held;
      },
      { concurrency: 2 },
    );
    await sleep(500);
    expect(started).toEqual([]); // paused: nothing starts
    await queue.resume();
    expect(await queue.isPaused()).toBe(false);
    await until(async () => (await queue.counts()).failed === 1 && started.includes('w-1'), 'one failed, one running');
    expect(await queue.counts()).toEqual({ waiting: 0, active: 1, delayed: 1, failed: 1, completed: 0 });
    release();
    await until(async () => (await queue.counts()).completed === 1, 'the held job to complete');
    await worker.close();
    expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 1, failed: 1, completed: 1 });
  });

  it('lets running jobs finish on close, and keeps waiting jobs for the next start', async () => {
    const name = queueName();
    const first = store.replica();
    const finished: string[] = [];
    const worker = first.queue<Delivery>(name).process(async (job) => {
      await sleep(300);
      finished.push(job.id);
    });
    await first.queue<Delivery>(name).add({ id: 'running', name: 'confirm', data: { order: 'o-1' } });
    await until(async () => (await first.queue(name).counts()).active === 1, 'the job to start');
    await worker.close();
    expect(finished).toEqual(['running']);
    await first.queue<Delivery>(name).add({ id: 'kept', name: 'confirm', data: { order: 'o-2' } });
    await first.close();
    await expect(first.queue(name).add({ id: 'x', name: 'confirm', data: {} })).rejects.toThrow(/closed/);
    await expect(first.checkReady()).rejects.toThrow(/closed/);

    await store.restart(); // every replica closed; the embedded database closed and opened again
    jobs = store.replica();
    await expect(jobs.checkReady()).resolves.toBeUndefined();
    const again = jobs.queue<Delivery>(name).process(async (job) => void finished.push(job.id));
    await until(() => finished.includes('kept'), 'the kept job after the restart');
    await again.close();
    expect(finished).toEqual(['running', 'kept']);
  });
});

describe('embedded job queue next to the hub', () => {
  let store: QueueStore;
  beforeAll(async () => {
    store = await embeddedStore({ withHubTables: true });
  }, 180_000);
  afterAll(async () => store?.dispose());

  it('waits for a hub transaction instead of joining it, and neither deadlocks', async () => {
    const jobs = store.replica();
    const queue = jobs.queue<Delivery>(uniqueName('q'));
    const ran: string[] = [];
    const worker = queue.process(async (job) => void ran.push(job.id));
    await queue.add({ id: 'before', name: 'confirm', data: { order: 'o-1' } });
    await until(() => ran.includes('before'), 'the first job');
    const events: string[] = [];
    const em = store.db!.em.fork();
    const transaction = em
      .transactional(async (tx) => {
        await tx.execute('select 1');
        events.push('tx open');
        await sleep(400);
        // Rolled back below: a job added from outside must not become part of this transaction.
        events.push('tx rolling back');
        throw new Error('rollback');
      })
      .catch(() => events.push('tx done'));
    await until(() => events.includes('tx open'), 'the transaction to open');
    const added = queue
      .add({ id: 'during', name: 'confirm', data: { order: 'o-2' } })
      .then(() => events.push('job added'));
    await Promise.all([transaction, added]);
    await until(() => ran.includes('during'), 'the job added during the transaction');
    await worker.close();
    expect(events).toEqual(['tx open', 'tx rolling back', 'tx done', 'job added']);
    expect(ran).toEqual(['before', 'during']);
    // The jobs' schema is BullMQ's: the hub's schema tooling (`migration:create`) must not propose to drop it.
    const sql = `select table_name from information_schema.tables where table_schema = 'bullmq'`;
    const tables = await store.db!.em.fork().execute<{ table_name: string }[]>(sql);
    expect(tables.map((t) => t.table_name)).toContain('job');
    expect(await store.db!.schema.getUpdateSchemaSQL()).not.toMatch(/bullmq/i);
  });
});
