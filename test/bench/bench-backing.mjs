// The backing a benchmark's hub runs on, shared by the benchmarks that start a real hub.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openDatabase } from '@plantgraph/hub';

const ADMIN_URL = process.env.PLANTGRAPH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_URL = process.env.PLANTGRAPH_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * For `postgres+nats`, a new migrated database and a NATS namespace of its own; for `embedded`,
 * nothing (the hub's defaults). `shared` goes into the hub's config; `drop()` removes the database.
 */
export async function benchBacking(mode) {
  if (mode !== 'postgres+nats') return { shared: {}, drop: async () => {} };
  const { name, url, drop } = await freshBenchDatabase();
  const db = await openDatabase({ databaseUrl: url, dataDir: '', logSql: false });
  await migrate(db);
  await db.close();
  return { shared: { databaseUrl: url, natsUrl: NATS_URL, natsNamespace: `bench${name.slice(-6)}` }, drop };
}

/**
 * A new, empty database on the benchmarks' PostgreSQL: its `name`, `url`, an `admin` connection to
 * the server (kept open, e.g. to find the database's backends) and `drop()`, which also ends it.
 */
export async function freshBenchDatabase() {
  const name = `plantgraph_bench_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const drop = async () => {
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end();
  };
  return { name, url: url.toString(), admin, drop };
}
