import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  migrate,
  openDatabase,
  openJobQueue,
  type Database,
  type JobQueue,
  type OpenJobQueueOptions,
} from '@plantgraph/hub';
import { TEST_DATABASE_URL, uniqueName } from './harness.js';

export const TEST_REDIS_URL = process.env.PLANTGRAPH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Polls `condition` every 25 ms; fails with `what` after `timeoutMs`. Every wait in the queue tests is bounded. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One place where jobs are kept, and hubs ("replicas") that share it. */
export interface QueueStore {
  readonly name: 'redis' | 'postgres' | 'embedded';
  /** A job queue as one hub replica opens it. */
  replica(options?: OpenJobQueueOptions): JobQueue;
  /** The embedded database, for tests of its coexistence with the hub's own transactions. */
  readonly db?: Database;
  /** Closes every replica and the store itself, then opens the store again, as a restarted hub does. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

const fast: OpenJobQueueOptions = { closeTimeoutMs: 2000, warn: () => {} };
/** Redis and PostgreSQL backings never touch the hub's database object. */
const noDatabase = null as unknown as Database;

export async function redisStore(url = TEST_REDIS_URL): Promise<QueueStore> {
  const redisPrefix = uniqueName('pgq');
  const replicas: JobQueue[] = [];
  return {
    name: 'redis',
    replica: (options) =>
      track(
        replicas,
        openJobQueue({ redisUrl: url }, noDatabase, {
          ...fast,
          redisPrefix,
          ...options,
        }),
      ),
    restart: async () => closeAll(replicas),
    dispose: async () => {
      await closeAll(replicas);
      const redis = new Redis(url);
      const keys = await redis.keys(`${redisPrefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    },
  };
}

export async function postgresStore(): Promise<QueueStore> {
  const postgresSchema = uniqueName('pgq_');
  const replicas: JobQueue[] = [];
  return {
    name: 'postgres',
    replica: (options) =>
      track(
        replicas,
        openJobQueue({ databaseUrl: TEST_DATABASE_URL }, noDatabase, { ...fast, postgresSchema, ...options }),
      ),
    restart: async () => closeAll(replicas),
    dispose: async () => {
      await closeAll(replicas);
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop schema if exists ${postgresSchema} cascade`);
      await client.end();
    },
  };
}

/**
 * The embedded database: on disk, so a restart keeps it; or, `withHubTables`, in memory with the
 * hub's migrations applied, to check that the jobs keep out of the hub's way.
 */
export async function embeddedStore(options: { withHubTables?: boolean } = {}): Promise<QueueStore> {
  const dataDir = options.withHubTables ? 'memory://' : mkdtempSync(join(tmpdir(), 'plantgraph-queue-'));
  const open = async () => {
    const db = await openDatabase({ dataDir, logSql: false });
    // PGlite starts on the first statement (tens of seconds on a busy machine): here, not in a test.
    await db.em.fork().execute('select 1');
    if (options.withHubTables) await migrate(db);
    return db;
  };
  let db = await open();
  const replicas: JobQueue[] = [];
  return {
    name: 'embedded',
    get db() {
      return db;
    },
    replica: (options) => track(replicas, openJobQueue({}, db, { ...fast, ...options })),
    restart: async () => {
      if (options.withHubTables) throw new Error('An in-memory database does not survive a restart.');
      await closeAll(replicas);
      await db.close();
      db = await open();
    },
    dispose: async () => {
      await closeAll(replicas);
      await db.close();
      if (!options.withHubTables) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function track(replicas: JobQueue[], queue: JobQueue): JobQueue {
  replicas.push(queue);
  return queue;
}

async function closeAll(replicas: JobQueue[]): Promise<void> {
  await Promise.all(replicas.splice(0).map((q) => q.close()));
}
