import type { HubConfig } from '../../config.js';
import type { Database } from '../database/database.js';
import { embeddedBacking, postgresBacking, redisBacking } from './backings.js';
import { BullJobQueue, type BullJobQueueOptions } from './bullmq-job-queue.js';
import type { JobQueue } from './job-queue.js';
import type { PgliteSession } from './pglite-pool.js';

export interface OpenJobQueueOptions extends BullJobQueueOptions {
  /** Prefix of the Redis keys (default `plantgraph`); another installation on the same Redis takes another. */
  redisPrefix?: string;
  /** PostgreSQL schema of the jobs (default `bullmq`, which the database's schema tooling leaves alone). */
  postgresSchema?: string;
}

/**
 * Chooses the backing like `NATS_URL` chooses the bus: Redis when `REDIS_URL` is set, else the
 * database the hub runs on (PostgreSQL, or the embedded PGlite). Nothing connects until a queue is
 * first used.
 */
export function openJobQueue(
  config: Pick<HubConfig, 'redisUrl' | 'databaseUrl'>,
  db: Database,
  options: OpenJobQueueOptions = {},
): JobQueue {
  const { redisPrefix = 'plantgraph', postgresSchema = 'bullmq', ...rest } = options;
  if (config.redisUrl) return new BullJobQueue(redisBacking(config.redisUrl, redisPrefix), rest);
  if (config.databaseUrl) return new BullJobQueue(postgresBacking(config.databaseUrl, postgresSchema), rest);
  return new BullJobQueue(
    embeddedBacking(() => pgliteSession(db)),
    rest,
  );
}

/** The embedded database's one PGlite instance, as MikroORM's PGlite driver holds it. */
async function pgliteSession(db: Database): Promise<PgliteSession> {
  const connection = db.driver.getConnection() as unknown as { getNativeClient?: () => Promise<PgliteSession> };
  if (!connection.getNativeClient) throw new Error('The embedded job queue needs the embedded (PGlite) database.');
  return connection.getNativeClient();
}
