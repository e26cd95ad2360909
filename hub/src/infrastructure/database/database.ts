import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';
import { fileURLToPath } from 'node:url';
import {
  DefaultLogger,
  type EntityManager,
  type LogContext,
  type LoggerOptions,
  type MikroORM,
  type Options,
} from '@mikro-orm/sql';
import { CompiledQuery, type Kysely } from 'kysely';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { PgliteDriver, MikroORM as PgliteORM } from '@mikro-orm/pglite';
import { MikroORM as PostgresORM } from '@mikro-orm/postgresql';
import { entities } from '@plantgraph/schema';
import type { HubConfig } from '../../config.js';
import { lockFolder } from './folder-lock.js';
import { backupBeforeMigration, EmbeddedFolderError } from './embedded-backup.js';
import { type ExtensionBaseline, type SeededFrom, seedFromBaseline, type UnpackingAhead } from './embedded-baseline.js';

export type Database = MikroORM;
export type Tx = EntityManager;

/**
 * PGlite's PostgreSQL settings: its own defaults, with 16 MB of shared buffers instead of 128 MB. The
 * pages live in the hub's memory (WebAssembly), and the data files are read through the operating
 * system's cache anyway; at 128 MB PGlite alone held about 360 MB at start, at 32 MB about 260 MB, and
 * at 16 MB a start holds 20-30 MB less again with reads as fast (ADR 0072).
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/** Compiled migrations live next to this file; `migration:create` writes TypeScript into src/. */
export const MIGRATIONS_DIST = fileURLToPath(new URL('./migrations', import.meta.url));
export const MIGRATIONS_SRC = fileURLToPath(
  new URL('../../../src/infrastructure/database/migrations', import.meta.url),
);

/** Opens PostgreSQL when `databaseUrl` is set, else the embedded PGlite database. */
export async function openDatabase(
  config: Pick<HubConfig, 'databaseUrl' | 'dataDir' | 'logSql'> & Partial<Pick<HubConfig, 'embeddedOptimize'>>,
  /** Told of every statement once it finished (the traces' database spans). */
  observeStatement?: (sql: string, tookMs: number, failed: boolean) => void,
  /** A new embedded folder is made from this extension's baseline (the demo plant) instead of the hub's. */
  baseline: ExtensionBaseline | null = null,
  /** That baseline already being unpacked for a new folder (`unpackAhead`, the CLI's `start`). */
  ahead: UnpackingAhead | null = null,
): Promise<Database> {
  const options: Partial<Options> = {
    entities,
    metadataProvider: ReflectMetadataProvider,
    // Always run the compiled migrations, also under test runners that look like a TS runtime.
    preferTs: false,
    extensions: [Migrator],
    migrations: { path: MIGRATIONS_DIST, pathTs: MIGRATIONS_SRC, glob: '!(*.d).js', snapshot: false, silent: true },
    // Other owners (e.g. a job queue) may keep tables in the same database; the flow tables
    // (modules/flows/storage.ts), the count minutes (kept by triggers, read by
    // modules/oee/oee-aggregation.ts), the connectors' generated key and
    // store (modules/connector/secrets.ts, connector-store.ts), the Job Control face's job orders
    // (opcua/job-order-store.ts)
    // and the development identity provider's key (auth/dev-identity-provider.ts) are plain SQL, not
    // entities, so the generator must not drop them.
    schemaGenerator: {
      ignoreSchema: ['bullmq'],
      skipTables: [
        /^flow_(plant|revision|library_entry)$/,
        'production_count_minute',
        'connector_secret_key',
        'connector_store',
        'opcua_job_order',
        'dev_identity_provider_key',
      ],
    },
    debug: config.logSql ? ['query'] : false,
    allowGlobalContext: false,
    ...(observeStatement ? { loggerFactory: (o: LoggerOptions) => new StatementLogger(o, observeStatement) } : {}),
  };
  if (config.databaseUrl) {
    return (await PostgresORM.init({ ...options, clientUrl: config.databaseUrl } as never)) as unknown as Database;
  }
  // V8's baseline compiler (Liftoff) only, unless asked: by default V8 sends PGlite's functions to its
  // optimising compiler once they have run a while, which during a start with the demo held about
  // 500 MB more (peaks of 0.75-1.2 GB; a raised tiering budget still gave 0.75 GB). Optimised code ran
  // a sustained database loop about 30 % faster. V8 flags, so for the whole process; set before
  // PGlite compiles (these two take effect then; --liftoff-only does not at run time).
  if (!config.embeddedOptimize) {
    setFlagsFromString('--no-wasm-dynamic-tiering');
    setFlagsFromString('--no-wasm-tier-up');
  }
  const embedded = { ...options, driverOptions: { startParams: PGLITE_START_PARAMS } };
  if (config.dataDir.startsWith('memory://')) {
    return (await PgliteORM.init({ ...embedded, dbName: config.dataDir } as never)) as unknown as Database;
  }
  return openEmbeddedFolder(embedded, config.dataDir, baseline, ahead);
}

/** MikroORM's logger, also telling `observe` of each statement (MikroORM logs every one with its time). */
class StatementLogger extends DefaultLogger {
  constructor(
    options: LoggerOptions,
    private readonly observe: (sql: string, tookMs: number, failed: boolean) => void,
  ) {
    super(options);
  }

  override logQuery(context: { query: string } & LogContext): void {
    if (context.namespace !== 'slow-query') this.observe(context.query, context.took ?? 0, context.level === 'error');
    super.logQuery(context);
  }
}

/** Embedded folders opened by `openDatabase`, for the backup before migrations. */
const embeddedFolders = new WeakMap<Database, string>();
/** Embedded folders made from a baseline at this opening (for the start-up log), and from which. */
const seededFolders = new WeakMap<Database, SeededFrom>();

/** Whether `openDatabase` made this embedded folder from the baseline (all migrations in one step). */
export const seededFromBaseline = (db: Database) => seededFolders.has(db);

/** The extension's baseline `openDatabase` made this embedded folder from, if it did. */
export function extensionBaselineOf(db: Database): ExtensionBaseline | null {
  const from = seededFolders.get(db);
  return from && from !== 'hub' ? from : null;
}

/**
 * One process per folder (see `folder-lock.ts`): the lock is taken before PGlite touches the
 * files and released when the database is closed. A folder that does not open is explained.
 */
async function openEmbeddedFolder(
  options: Partial<Options>,
  folder: string,
  baseline: ExtensionBaseline | null,
  ahead: UnpackingAhead | null,
): Promise<Database> {
  const lock = lockFolder(folder);
  let db: Database;
  let seeded: SeededFrom | null = null;
  try {
    const unpacked = ahead && (await ahead.done) ? ahead : null;
    seeded = seedFromBaseline(folder, baseline, unpacked);
    mkdirSync(folder, { recursive: true });
    db = (await PgliteORM.init({ ...options, dbName: folder } as never)) as unknown as Database;
  } catch (err) {
    lock.release();
    throw err;
  } finally {
    // Not used (the folder was not new any more, another baseline was chosen, or it failed).
    if (ahead) rmSync(ahead.staging, { recursive: true, force: true });
  }
  try {
    // MikroORM connects lazily: open PGlite now, so a damaged folder is reported here.
    await nativePglite(db);
  } catch (err) {
    await db.close().catch(() => {});
    lock.release();
    throw new EmbeddedFolderError(folder, err);
  }
  const close = db.close.bind(db);
  db.close = async (force?: boolean) => {
    try {
      await close(force);
    } finally {
      lock.release();
    }
  };
  embeddedFolders.set(db, folder);
  if (seeded) seededFolders.set(db, seeded);
  return db;
}

/**
 * Runs one statement with `$1, $2, ...` parameters bound by the driver (PostgreSQL's extended
 * protocol, PGlite's query parameters), in the transaction of `tx` when it has one. Unlike
 * `tx.execute`, the ORM neither escapes the values into the SQL text nor formats it: the hot paths
 * (the signal ingest) send large JSON arrays, whose escaping and parsing cost more than the insert.
 */
export async function executeBound<T extends object>(tx: Tx, sql: string, parameters: unknown[]): Promise<T[]> {
  const connection = tx.getConnection('write') as unknown as LoggingConnection;
  const ctx = tx.getTransactionContext<Kysely<unknown>>() ?? connection.getClient();
  // Through the connection's wrapper, so the statement shows in the SQL log (`logSql`) as any other.
  return connection.executeQuery(
    sql,
    async () => (await ctx.executeQuery<T>(CompiledQuery.raw(sql, parameters))).rows as T[],
    { query: sql, params: parameters },
  );
}

/** Read statements kept prepared per PostgreSQL connection; clients send a few operations again and again. */
const PREPARED_READS = 200;

/**
 * `executeBound` for a read the hub runs again and again (compiled reads): on PostgreSQL a named
 * prepared statement, so each pool connection parses and plans it once (as PostGraphile does);
 * the embedded PGlite has one connection and runs it as `executeBound`. Never in a transaction.
 */
export async function preparedReader(
  db: Database,
  embedded: boolean,
): Promise<<T extends object>(sql: string, parameters: unknown[]) => Promise<T[]>> {
  if (embedded) return (sql, parameters) => executeBound(db.em, sql, parameters);
  const connection = db.driver.getConnection() as unknown as LoggingConnection & {
    getNativeClient(): Promise<Pool>;
  };
  const pool = await connection.getNativeClient();
  const names = new Map<string, string>();
  return (sql, parameters) => {
    let name = names.get(sql);
    // The first PREPARED_READS texts only: each stays prepared on every connection while it lives.
    if (!name && names.size < PREPARED_READS) {
      name = `plantgraph_read_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
      names.set(sql, name);
    }
    const query = { name, text: sql, values: parameters };
    return connection.executeQuery(sql, async () => (await pool.query(query)).rows, { query: sql, params: parameters });
  };
}

/** The connection as `executeBound` uses it (`executeQuery` is protected in MikroORM's typings). */
interface LoggingConnection {
  getClient(): Kysely<unknown>;
  executeQuery<R>(sql: string, run: () => Promise<R>, context: { query: string; params: unknown[] }): Promise<R>;
}

/** Whether the database is the embedded PGlite: one connection, so one statement at a time. */
export function isEmbedded(db: Database): boolean {
  // By the driver: PostgreSQL's connection has a `getNativeClient` too (its pg pool), so asking for that
  // one answered "embedded" on PostgreSQL as well, and the hub's ingest ran one lane there.
  return (db.driver as unknown) instanceof PgliteDriver;
}

/** The PGlite instance behind an embedded database (for backups). */
export async function nativePglite(db: Database): Promise<PGlite> {
  const connection = db.driver.getConnection() as unknown as { getNativeClient?: () => Promise<PGlite> };
  if (!connection.getNativeClient) throw new Error('Not an embedded (PGlite) database.');
  return connection.getNativeClient();
}

/**
 * Applies pending migrations; returns the names applied. On an embedded folder that already holds
 * data, a backup is taken first (`<parent>/backups`), so a failed migration can be undone.
 */
export async function migrate(db: Database, log: (line: string) => void = console.log): Promise<string[]> {
  const folder = embeddedFolders.get(db);
  if (folder) {
    const pending = await db.migrator.getPending();
    if (pending.length && (await db.migrator.getExecuted()).length) {
      const file = await backupBeforeMigration(await nativePglite(db), folder, pending[0]!.name);
      log(`[db] backed up ${folder} to ${file} before migrating`);
    }
  }
  const applied = await db.migrator.up();
  return applied.map((m) => m.name);
}

/** The connection counts of a PostgreSQL database's `pg` pool (for the metrics). */
export async function postgresPoolCounts(
  db: Database,
): Promise<() => { total: number; idle: number; waiting: number }> {
  const connection = db.driver.getConnection() as unknown as { getNativeClient(): Promise<Pool> };
  const pool = await connection.getNativeClient();
  return () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
}
