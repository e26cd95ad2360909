import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { openJobQueue, type JobQueue } from '@plantgraph/hub';
import { sleep } from './support/harness.js';
import { until } from './support/queue.js';
import { freePort } from './support/private-service.js';

/**
 * A private redis-server (never the shared one) killed with SIGKILL in the middle of a run and
 * started again on the same files: the worker carries on by itself, and every job runs, at least
 * once. Jobs running when Redis died may run twice (BullMQ is at least once; deliveries carry
 * idempotency keys); the test counts them.
 */
describe('job queue across a Redis restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plantgraph-redis-'));
  let port: number;
  let redis: ChildProcess | null = null;

  /** AOF with fsync on every write, as production should run it: what Redis acknowledged survives a kill. */
  const startRedis = async () => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--maxmemory-policy',
        'noeviction',
        '--daemonize',
        'no',
      ],
      { stdio: 'ignore' },
    );
    redis = child;
    await until(async () => {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    }, 'the private redis-server to answer');
  };
  const killRedis = async () => {
    const child = redis!;
    redis = null;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
  });
  afterAll(async () => {
    if (redis) await killRedis();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the worker going and loses no job when Redis is killed and restarted', async () => {
    const total = 300;
    const all = total + 5;
    const warnings: string[] = [];
    const jobs: JobQueue = openJobQueue({ redisUrl: `redis://127.0.0.1:${port}` }, null as never, {
      lockDurationMs: 3000,
      closeTimeoutMs: 2000,
      warn: (m) => warnings.push(m),
    });
    const queue = jobs.queue<{ n: number }>('deliveries');
    const runs = new Map<string, number>();
    const completedAt: number[] = [];
    const worker = queue.process(
      async (job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        await sleep(10);
        completedAt.push(Date.now());
      },
      { concurrency: 4 },
    );

    // The producer, like the outbox relay: a failed add (Redis away, offline queue off) is tried again.
    const backoff = { type: 'fixed', delayMs: 100 } as const;
    let refusedAdds = 0;
    let slowestAddMs = 0;
    const producer = (async () => {
      for (let n = 0; n < total; n++) {
        for (let tries = 0; ; tries++) {
          const started = Date.now();
          try {
            await queue.add({ id: `delivery-${n}`, name: 'confirm', data: { n }, attempts: 3, backoff });
            break;
          } catch (err) {
            refusedAdds++;
            warnings.push(`add: ${(err as Error).message}`);
            if (tries > 300) throw err;
            await sleep(100);
          } finally {
            slowestAddMs = Math.max(slowestAddMs, Date.now() - started);
          }
        }
        await sleep(10);
      }
    })();

    await until(() => runs.size >= 100, 'a hundred jobs before the kill', 30_000);
    const killedAt = Date.now();
    await killRedis();
    // While Redis is away an add fails at once (offline queue off), so the caller keeps the job and
    // tries again; only a command already on the wire waits for the reconnect (ioredis re-sends it).
    const refused: number[] = [];
    for (let n = total; n < total + 5; n++) {
      const started = Date.now();
      await queue.add({ id: `delivery-${n}`, name: 'confirm', data: { n } }).then(
        () => {},
        () => refused.push(Date.now() - started),
      );
    }
    await sleep(2000);
    await startRedis();
    const restartedAt = Date.now();
    await until(() => completedAt.some((t) => t > restartedAt), 'the first job after the restart', 30_000);
    const resumedAfterMs = completedAt.find((t) => t > restartedAt)! - restartedAt;
    await producer;
    for (let n = total; n < total + 5; n++) await queue.add({ id: `delivery-${n}`, name: 'confirm', data: { n } });
    await until(() => runs.size === all, `all ${all} jobs (ran ${runs.size})`, 60_000);
    await until(async () => (await queue.counts()).completed === all, 'every job recorded as completed', 30_000);
    const counts = await queue.counts();
    await worker.close();
    await jobs.close();

    const twice = [...runs.entries()].filter(([, n]) => n > 1);
    console.log(
      `[queue fault] Redis down ${restartedAt - killedAt} ms; ` +
        `first job ${resumedAfterMs} ms after the restart; ` +
        `${all} jobs, ${twice.length} ran twice (${twice.map(([id]) => id).join(', ') || 'none'}); ` +
        `adds during the outage refused within ${Math.max(...refused)} ms; ` +
        `producer: ${refusedAdds} refused, slowest add ` +
        `${slowestAddMs} ms; ${warnings.length} warnings: ` +
        [...new Set(warnings.map((w) => w.replace(/\d+/g, 'N')))].join(' / '),
    );
    expect(refused).toHaveLength(5);
    expect(Math.max(...refused)).toBeLessThan(1000);
    expect([...runs.keys()].sort()).toEqual(Array.from({ length: all }, (_, n) => `delivery-${n}`).sort());
    // At least once, not more: only jobs running (concurrency 4) or finishing at the kill may run again.
    expect(twice.length).toBeLessThanOrEqual(8);
    expect(Math.max(...runs.values())).toBeLessThanOrEqual(2);
    expect(counts).toMatchObject({ completed: all, failed: 0, waiting: 0, active: 0, delayed: 0 });
    expect(resumedAfterMs).toBeLessThan(10_000);
  });

  it('starts a worker while Redis is away and runs jobs once it is back', async () => {
    await killRedis();
    const warnings: string[] = [];
    const jobs = openJobQueue({ redisUrl: `redis://127.0.0.1:${port}` }, null as never, {
      closeTimeoutMs: 2000,
      warn: (m) => warnings.push(m),
    });
    const queue = jobs.queue<{ n: number }>('late-start');
    const ran: string[] = [];
    const worker = queue.process(async (job) => void ran.push(job.id));
    await expect(jobs.checkReady()).rejects.toThrow();
    await startRedis();
    const startedAt = Date.now();
    await queue.add({ id: 'after-start', name: 'confirm', data: { n: 1 } });
    await until(() => ran.includes('after-start'), 'the job on the late worker', 30_000);
    console.log(
      `[queue fault] a worker created while Redis was away ran its first job ${Date.now() - startedAt} ms ` +
        'after Redis came up',
    );
    await worker.close();
    await jobs.close();
    expect(ran).toEqual(['after-start']);
  });
});
