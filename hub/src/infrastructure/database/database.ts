import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type EntityManager, type MikroORM, type Options } from '@mikro-orm/sql';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM as PgliteORM } from '@mikro-orm/pglite';
import { MikroORM as PostgresORM } from '@mikro-orm/postgresql';
import { entities } from '@plantgraph/schema';
import type { HubConfig } from '../../config.js';
import { lockFolder } from './folder-lock.js';

export type Database = MikroORM;
export type Tx = EntityManager;

/** Compiled migrations live next to this file; `migration:create` writes TypeScript into src/. */
export const MIGRATIONS_DIST = fileURLToPath(new URL('./migrations', import.meta.url));
export const MIGRATIONS_SRC = fileURLToPath(new URL('../../../src/infrastructure/database/migrations', import.meta.url));

/** Opens PostgreSQL when `databaseUrl` is set, else the embedded PGlite database. */
export async function openDatabase(config: Pick<HubConfig, 'databaseUrl' | 'dataDir' | 'logSql'>): Promise<Database> {
  const options: Partial<Options> = {
    entities,
    metadataProvider: ReflectMetadataProvider,
    // Always run the compiled migrations, also under test runners that look like a TS runtime.
    preferTs: false,
    extensions: [Migrator],
    migrations: { path: MIGRATIONS_DIST, pathTs: MIGRATIONS_SRC, glob: '!(*.d).js', snapshot: false, silent: true },
    // Other owners (e.g. a job queue) may keep tables in the same database; the flow tables are
    // plain SQL (modules/flows/storage.ts), not entities, so the generator must not drop them.
    schemaGenerator: { ignoreSchema: ['bullmq'], skipTables: [/^flow_(plant|revision|library_entry)$/] },
    debug: config.logSql ? ['query'] : false,
    allowGlobalContext: false,
  };
  if (config.databaseUrl) {
    return (await PostgresORM.init({ ...options, clientUrl: config.databaseUrl } as never)) as unknown as Database;
  }
  if (config.dataDir.startsWith('memory://')) return (await PgliteORM.init({ ...options, dbName: config.dataDir } as never)) as unknown as Database;
  return openEmbeddedFolder(options, config.dataDir);
}

/**
 * One process per folder (see `folder-lock.ts`): the lock is taken before PGlite touches the
 * files and released when the database is closed.
 */
async function openEmbeddedFolder(options: Partial<Options>, folder: string): Promise<Database> {
  const lock = lockFolder(folder);
  let db: Database;
  try {
    mkdirSync(folder, { recursive: true });
    db = (await PgliteORM.init({ ...options, dbName: folder } as never)) as unknown as Database;
  } catch (err) {
    lock.release();
    throw err;
  }
  const close = db.close.bind(db);
  db.close = async (force?: boolean) => {
    try {
      await close(force);
    } finally {
      lock.release();
    }
  };
  return db;
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(db: Database): Promise<string[]> {
  const applied = await db.migrator.up();
  return applied.map((m) => m.name);
}
