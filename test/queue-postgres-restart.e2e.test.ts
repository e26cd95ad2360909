import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openJobQueue, type JobQueue } from '@plantgraph/hub';
import { OutageTolerantClient, postgresBacking } from '@plantgraph/hub/dist/infrastructure/queue/backings.js';
import { sleep } from './support/harness.js';
import { until } from './support/queue.js';
import { startPrivatePostgres } from './support/private-postgres.js';
import type { PrivateService } from './support/private-service.js';

/**
 * BullMQ's PostgreSQL backend on a private PostgreSQL (never the shared one) whose connections are
 * ended under a busy worker, then stopped and started again. A connection ended while BullMQ held it
 * between two statements used to raise an unhandled `'error'` event that ended the hub (seen in CI as
 * `terminating connection due to administrator command`). Now the worker carries on and every job
 * runs at least once; the vitest run itself fails on any unhandled error.
 */
describe('job queue on PostgreSQL across ended connections and a restart', () => {
  let postgres: PrivateService;
  beforeAll(async () => {
    postgres = await startPrivatePostgres();
  });
  afterAll(async () => {
    await postgres?.dispose();
  });

  it('survives a connection ended while BullMQ holds it between statements', async () => {
    // The pool BullMQ builds from the backing's options, as it builds it; the client checked out
    // and idle, as in a transaction between two statements. A plain `pg.Client` here ends the run.
    const { connection } = postgresBacking(postgres.url, 'bullmq').queueOptions() as { connection: pg.PoolConfig };
    const pool = new pg.Pool(connection);
    pool.on('error', () => {});
    const held = await pool.connect();
    const { rows } = await held.query<{ pid: number }>('select pg_backend_pid() as pid');
    await pool.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
    await sleep(300);
    await expect(held.query('select 1')).rejects.toThrow();
    held.release(true);
    expect((await pool.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await pool.end();
  });

  it("survives the end of BullMQ's own LISTEN connection after it removed every listener", async () => {
    postgresBacking(postgres.url, 'bullmq');
    // As BullMQ builds it (its `require('pg').Client`), and as it leaves it before `end()`.
    const bullmqPg = createRequire(fileURLToPath(import.meta.resolve('bullmq')))('pg') as typeof pg;
    const listen = new bullmqPg.Client({ connectionString: postgres.url });
    await listen.connect();
    const { rows } = await listen.query<{ pid: number }>('select pg_backend_pid() as pid');
    listen.removeAllListeners();
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
    await admin.end();
    await sleep(300); // the server's FATAL arrives: an unhandled 'error' here fails the run
    expect(listen).toBeInstanceOf(OutageTolerantClient);
    await listen.end().catch(() => {});
  });

  it('keeps the worker going and loses no job', async () => {
    const total = 400;
    const warnings: string[] = [];
    const jobs: JobQueue = openJobQueue({ databaseUrl: postgres.url }, null as never, {
      lockDurationMs: 3000,
      closeTimeoutMs: 2000,
      warn: (m) => warnings.push(m),
    });
    const queue = jobs.queue<{ n: number }>('deliveries');
    const runs = new Map<string, number>();
    const worker = queue.process(
      async (job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        await sleep(2);
      },
      { concurrency: 4 },
    );
    let refusedAdds = 0;
    const producer = (async () => {
      for (let n = 0; n < total; n++) {
        for (let tries = 0; ; tries++) {
          try {
            await queue.add({ id: `delivery-${n}`, name: 'confirm', data: { n }, attempts: 5 });
            break;
          } catch (err) {
            refusedAdds++;
            if (tries > 300) throw err;
            await sleep(100);
          }
        }
        await sleep(5);
      }
    })();

    await until(() => runs.size >= 50, 'fifty jobs before the first ended connection', 30_000);
    // End every connection but our own, again and again, while jobs are taken and finished.
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    let ended = 0;
    for (let round = 0; round < 40; round++) {
      const { rowCount } = await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where pid <> pg_backend_pid() and datname is not null',
      );
      ended += rowCount ?? 0;
      await sleep(25 + (round % 4) * 20);
    }
    await admin.end();
    await postgres.stop();
    await sleep(1000);
    await postgres.restart();
    await producer;
    await until(() => runs.size === total, `all ${total} jobs (ran ${runs.size})`, 90_000);
    await until(async () => (await queue.counts()).completed === total, 'every job recorded as completed', 60_000);
    await worker.close();
    await jobs.close();

    const twice = [...runs.values()].filter((n) => n > 1).length;
    console.log(
      `[queue fault] ${ended} PostgreSQL connections ended under the worker, then a restart; ` +
        `${total} jobs, ${twice} ran more than once; ${refusedAdds} adds refused and tried again; ` +
        `${warnings.length} warnings`,
    );
    expect(ended).toBeGreaterThan(20); // 29-108 seen: how many are open when the loop looks varies
    expect([...runs.keys()].sort()).toEqual(Array.from({ length: total }, (_, n) => `delivery-${n}`).sort());
  });
});
