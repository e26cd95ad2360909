import type { HubConfig } from '../../config.js';
import type { Database } from '../database/database.js';
import type { BullJobQueueOptions } from './bullmq-job-queue.js';
import type { JobQueue } from './job-queue.js';
import { LazyJobQueue } from './lazy-job-queue.js';
import type { PgliteSession } from './pglite-pool.js';

export interface OpenJobQueueOptions extends BullJobQueueOptions {
  /** Prefix of the Redis keys (default `plantgraph`); another installation on the same Redis takes another. */
  redisPrefix?: string;
  /** PostgreSQL schema of the jobs (default `bullmq`, which the database's schema tooling leaves alone). */
  postgresSchema?: string;
  /** BullMQ is not loaded before this settles (the hub: once it listens), nor before the queue is first used. */
  loadAfter?: Promise<unknown>;
}

/**
 * Chooses the backing like `NATS_URL` chooses the bus: Redis when `REDIS_URL` is set, else the
 * database the hub runs on (PostgreSQL, or the embedded PGlite). Nothing connects until a queue is
 * first used; BullMQ itself is loaded then too (`LazyJobQueue`).
 */
export function openJobQueue(
  config: Pick<HubConfig, 'redisUrl' | 'databaseUrl'>,
  db: Database,
  options: OpenJobQueueOptions = {},
): JobQueue {
  const { redisPrefix = 'plantgraph', postgresSchema = 'bullmq', loadAfter, ...rest } = options;
  const kind = config.redisUrl ? 'redis' : config.databaseUrl ? 'postgres' : 'embedded';
  const load = async (): Promise<JobQueue> => {
    const [{ embeddedBacking, postgresBacking, redisBacking }, { BullJobQueue }] = await Promise.all([
      import('./backings.js'),
      import('./bullmq-job-queue.js'),
    ]);
    if (config.redisUrl) return new BullJobQueue(redisBacking(config.redisUrl, redisPrefix), rest);
    if (config.databaseUrl) return new BullJobQueue(postgresBacking(config.databaseUrl, postgresSchema), rest);
    return new BullJobQueue(
      embeddedBacking(() => pgliteSession(db)),
      rest,
    );
  };
  return new LazyJobQueue(kind, load, loadAfter);
}

/** The embedded database's one PGlite instance, as MikroORM's PGlite driver holds it. */
async function pgliteSession(db: Database): Promise<PgliteSession> {
  const connection = db.driver.getConnection() as unknown as { getNativeClient?: () => Promise<PgliteSession> };
  if (!connection.getNativeClient) throw new Error('The embedded job queue needs the embedded (PGlite) database.');
  return connection.getNativeClient();
}
