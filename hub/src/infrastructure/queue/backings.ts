import { Queue, runMigrations, withBackend, createPostgresBackend, Worker, DEFAULT_SCHEMA } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { QueueBacking } from './bullmq-job-queue.js';
import { PglitePool, type PgliteSession } from './pglite-pool.js';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * BullMQ on Redis (production). One producer connection for every queue, with the offline queue
 * off so `add` fails at once while Redis is away (the caller keeps the job and tries again) instead
 * of piling up in memory; one connection per worker with `maxRetriesPerRequest: null`, so a worker
 * waits out a Redis restart and carries on (BullMQ duplicates it for its blocking reads).
 */
export function redisBacking(url: string, prefix: string): QueueBacking {
  const producer = new Redis(url, { enableOfflineQueue: false, lazyConnect: true, connectionName: 'plantgraph-jobs' });
  producer.on('error', () => {}); // reported by the queues; reconnecting is ioredis' job
  const workerConnections = new Set<Redis>();
  let connecting: Promise<void> | null = null;
  // A failed first connect keeps retrying in the background (ioredis' retry strategy).
  const connect = () => (connecting ??= producer.connect().catch(() => {}));
  let closing = false;
  const connected = async () => {
    void connect();
    await waitFor(() => producer.status === 'ready' || closing, `Redis at ${redacted(url)} did not answer`);
    if (closing) throw new Error('The job queue is closed.');
  };
  return {
    kind: 'redis',
    Queue,
    Worker,
    ready: connected,
    stopWaiting: () => {
      closing = true;
    },
    queueOptions: () => ({ connection: producer, prefix }),
    workerOptions: () => {
      const connection = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'plantgraph-jobs-worker' });
      connection.on('error', () => {});
      workerConnections.add(connection);
      return {
        options: { connection, prefix },
        release: async () => {
          workerConnections.delete(connection);
          await connection.quit().catch(() => connection.disconnect());
        },
      };
    },
    checkReady: async () => {
      void connect();
      // A readiness probe must not hang while Redis is away: two seconds to connect, then the reason.
      await waitFor(() => producer.status === 'ready', `Redis at ${redacted(url)} is not connected`, 2000);
      await producer.ping();
    },
    close: async () => {
      for (const c of workerConnections) c.disconnect();
      if (producer.status === 'wait')
        producer.disconnect(); // never connected: quitting would connect first
      else if (producer.status !== 'end') await producer.quit().catch(() => producer.disconnect());
    },
  };
}

/** BullMQ's PostgreSQL backend on the hub's PostgreSQL, in its own schema: production without Redis. */
export function postgresBacking(url: string, schema: string): QueueBacking {
  toleratePgClientOutages();
  const { Queue: PgQueue, Worker: PgWorker } = withBackend(createPostgresBackend);
  // BullMQ's pools build their clients from `Client`: ours never lets a dropped connection crash the hub.
  const connection = { connectionString: url, schema, max: 4, Client: OutageTolerantClient };
  let probe: pg.Pool | null = null;
  return {
    kind: 'postgres',
    Queue: PgQueue as unknown as QueueBacking['Queue'],
    Worker: PgWorker as unknown as QueueBacking['Worker'],
    ready: async () => {
      // BullMQ's own versioned migrations, serialized across replicas by an advisory lock.
      const client = new OutageTolerantClient({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
      await client.connect();
      try {
        await runMigrations(client, schema);
      } finally {
        await client.end();
      }
    },
    queueOptions: () => ({ connection }),
    workerOptions: () => ({ options: { connection }, release: async () => {} }),
    checkReady: async () => {
      if (!probe) {
        const options = { connectionString: url, max: 1, connectionTimeoutMillis: CONNECT_TIMEOUT_MS };
        probe = new pg.Pool({ ...options, Client: OutageTolerantClient });
        probe.on('error', () => {}); // an idle probe connection dropped: the next probe connects again
      }
      await probe.query('select 1');
    },
    close: async () => {
      await probe?.end();
    },
  };
}

/**
 * A `pg` client whose `'error'` event never ends the process. `pg-pool` removes its own listener
 * while a client is checked out, and BullMQ removes every listener before it ends a client, so a
 * server that ends the connection (a restart, `pg_terminate_backend`) at such a moment raised an
 * unhandled `'error'` event and ended the hub (seen in CI: "terminating connection due to
 * administrator command"). The statement in flight still rejects, and the pool discards the client.
 */
export class OutageTolerantClient extends pg.Client {
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && this.listenerCount('error') === 0) return false;
    return super.emit(event, ...args);
  }
}

/**
 * BullMQ builds its LISTEN connection as `new (require('pg').Client)(…)`, not with the pool's
 * `Client`, and removes every listener from it before ending it: a server that ended it then (a
 * restart, `pg_terminate_backend`) still raised an unhandled `'error'` event (queue-postgres-restart
 * in CI, about one run in eight). So `pg.Client` itself becomes {@link OutageTolerantClient}, once,
 * for the process: every client built from the `pg` module afterwards, the hub's included, is one.
 */
function toleratePgClientOutages(): void {
  const pgModule = pg as { Client: typeof pg.Client };
  if (pgModule.Client !== OutageTolerantClient) pgModule.Client = OutageTolerantClient;
}

/**
 * BullMQ's PostgreSQL backend on the embedded database: the hub's own PGlite session through
 * {@link PglitePool}, in schema `bullmq` (the one BullMQ uses for a pool it is handed). Jobs are
 * kept with the hub's data and survive a restart.
 */
export function embeddedBacking(session: () => Promise<PgliteSession>): QueueBacking {
  let pool: PglitePool | null = null;
  return {
    kind: 'embedded',
    Queue: withBackend(createPostgresBackend).Queue as unknown as QueueBacking['Queue'],
    Worker: withBackend(createPostgresBackend).Worker as unknown as QueueBacking['Worker'],
    ready: async () => {
      const p = new PglitePool(await session(), DEFAULT_SCHEMA);
      await runMigrations(await p.connect(), DEFAULT_SCHEMA);
      pool = p;
    },
    queueOptions: () => ({ connection: pool }),
    workerOptions: () => ({ options: { connection: pool }, release: async () => {} }),
    checkReady: async () => {
      if (pool) await pool.query('select 1');
      else await (await session()).query('select 1');
    },
    close: async () => {}, // the database is the hub's to close
  };
}

async function waitFor(condition: () => boolean, failure: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`${failure} within ${timeoutMs / 1000} s.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'REDIS_URL';
  }
}
