import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/flows.js';
import { deleteNatsNamespace, graphql, sleep, type TestHub, uniqueName } from './support/harness.js';
import { createApiKeyWithCli, demoDatabaseForKills, type HubProcess, spawnHub } from './support/process.js';
import { configureSap } from './support/sap-loop.js';
import { SapSimulator } from './support/sap-simulator/index.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/**
 * `plantgraph start` with its jobs in PostgreSQL (BullMQ's PostgreSQL backend) when the server ends
 * BullMQ's LISTEN connection (a restart, `pg_terminate_backend`): the hub keeps running and its worker
 * listens again. The in-process test of ended connections (`queue-postgres-restart`) loads node_modules;
 * this one runs the CLI as users do, with its vendor bundle (ADR 0074). That BullMQ's `pg` is the hub's
 * there, so the outage-tolerant `pg.Client` also covers a LISTEN client BullMQ has stripped of its
 * listeners, is checked in `vendor-bundle.e2e`.
 */
describe('the CLI with jobs in PostgreSQL when its LISTEN connection is ended', () => {
  const namespace = uniqueName('ql');
  let database: Awaited<ReturnType<typeof demoDatabaseForKills>>['database'];
  let sim: SapSimulator;
  let child: HubProcess;
  let admin: pg.Client;

  beforeAll(async () => {
    sim = await SapSimulator.start();
    const seeded = await demoDatabaseForKills(namespace, 'cli-queue-postgres-listen-secret');
    database = seeded.database;
    const token = await createApiKeyWithCli(seeded.env, 'listen');
    child = await spawnHub(seeded.env);
    const hub = { gql: (q: string, v?: Record<string, unknown>) => graphql(child.url, q, v, token) } as TestHub;
    // A connector with deliveries: its BullMQ worker holds a LISTEN connection.
    expect((await configureSap(hub, sim)).configureConnector.name).toBe('sap-berlin');
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await child?.kill();
    await admin?.end();
    await sim?.close();
    await database?.drop();
    await deleteNatsNamespace(namespace);
  });

  it('keeps running, and listens again', async () => {
    const listening = async () =>
      (
        await admin.query<{ pid: number }>(
          // BullMQ's statement starts with comment lines.
          'select pid from pg_stat_activity where datname = current_database() and query ~* $1',
          [String.raw`(^|\n)\s*listen\s`],
        )
      ).rows.map((r) => r.pid);
    const [pid] = await eventually(
      async () => {
        const pids = await listening();
        return pids.length ? pids : null;
      },
      30_000,
      'a LISTEN',
    );
    await admin.query('select pg_terminate_backend($1)', [pid]);
    await sleep(1000); // the server's FATAL arrives on the ended connection
    child.checkRunning();
    expect((await fetch(`${child.url}/healthz`)).status).toBe(200);
    await eventually(async () => (await listening()).some((p) => p !== pid), 30_000, 'a new LISTEN');
  }, 90_000);
});
