import { resolve } from 'node:path';

/** Everything the hub reads from its environment; see the README's configuration table. */
export interface HubConfig {
  port: number;
  host: string;
  /** PostgreSQL connection string; unset runs the embedded database (PGlite) in `dataDir`. */
  databaseUrl?: string;
  /** Folder for embedded data; `memory://` keeps it in memory only. */
  dataDir: string;
  /** NATS server URL(s), comma-separated; unset runs the in-process bus. */
  natsUrl?: string;
  /** Prefix of subjects and streams, so several installations can share one NATS. */
  natsNamespace: string;
  /** Seed the demo plant (if the database has no enterprise yet) and run its machine simulator. */
  demo: boolean;
  /** How often the demo simulator reports machine states; 0 turns it off. */
  simulatorIntervalMs: number;
  /** Log every SQL statement (for debugging). */
  logSql: boolean;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<HubConfig> = {}): HubConfig {
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number (0-65535), got "${env.PORT}".`);
  const interval = Number(env.PLANTGRAPH_SIMULATOR_INTERVAL_MS ?? 3000);
  if (!(interval === 0 || interval >= 100)) throw new Error(`PLANTGRAPH_SIMULATOR_INTERVAL_MS must be 0 (off) or at least 100, got "${env.PLANTGRAPH_SIMULATOR_INTERVAL_MS}".`);
  const dataDir = env.PLANTGRAPH_DATA_DIR ?? '.plantgraph/data';
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: dataDir.startsWith('memory://') ? dataDir : resolve(dataDir),
    natsUrl: env.NATS_URL || undefined,
    natsNamespace: env.PLANTGRAPH_NATS_NAMESPACE || 'pg',
    demo: env.PLANTGRAPH_DEMO === '1' || env.PLANTGRAPH_DEMO === 'true',
    simulatorIntervalMs: interval,
    logSql: env.PLANTGRAPH_LOG_SQL === '1',
    ...overrides,
  };
}
