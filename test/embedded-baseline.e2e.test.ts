import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  migrate,
  nativePglite,
  openDatabase,
  seededFromBaseline,
  type Database,
} from '@plantgraph/hub/dist/infrastructure/database/database.js';
import { baselineIsCurrent, unpackAhead } from '@plantgraph/hub/dist/infrastructure/database/embedded-baseline.js';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A new embedded folder is made from the baseline the build writes (all migrations applied), not by
 * `initdb` and the migrations (ADR 0029). The two must give the same database: this compares their
 * catalogs the way pg_dump would see them (tables and columns, constraints, indexes, triggers,
 * functions, sequences, views) and the migration table, so the baseline cannot drift.
 */
const CATALOG: Record<string, string> = {
  columns: `select table_name, column_name, data_type, udt_name, is_nullable, column_default, ordinal_position
            from information_schema.columns where table_schema = 'public' order by 1, 2`,
  constraints: `select conrelid::regclass::text as rel, conname, pg_get_constraintdef(oid) as def
                from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2`,
  indexes: `select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2`,
  triggers: `select tgrelid::regclass::text as rel, tgname, pg_get_triggerdef(oid) as def
             from pg_trigger where not tgisinternal order by 1, 2`,
  functions: `select proname, pg_get_function_identity_arguments(oid) as args, md5(pg_get_functiondef(oid)) as body
              from pg_proc where pronamespace = 'public'::regnamespace order by 1, 2`,
  sequences: `select sequence_name, data_type, start_value, increment from information_schema.sequences
              where sequence_schema = 'public' order by 1`,
  views: `select table_name, md5(view_definition) as def from information_schema.views where table_schema = 'public' order by 1`,
  migrations: `select name from mikro_orm_migrations order by id`,
  extensions: `select extname from pg_extension order by 1`,
};

async function catalog(db: Database): Promise<Record<string, unknown[]>> {
  const pglite = await nativePglite(db);
  const result: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(CATALOG)) result[name] = (await pglite.query(sql)).rows;
  return result;
}

describe('the embedded baseline', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('is built and current, and a new folder made from it equals one made by the migrations', async () => {
    expect(baselineIsCurrent()).toBe(true);
    const parent = mkdtempSync(join(tmpdir(), 'plantgraph-baseline-'));
    dirs.push(parent);

    const fromBaseline = await openDatabase({ dataDir: join(parent, 'data'), logSql: false });
    let seeded: Record<string, unknown[]>;
    try {
      expect(seededFromBaseline(fromBaseline)).toBe(true);
      expect(await migrate(fromBaseline, () => {})).toEqual([]);
      seeded = await catalog(fromBaseline);
    } finally {
      await fromBaseline.close();
    }

    // memory:// is never seeded: initdb, then every migration.
    const fromMigrations = await openDatabase({ dataDir: 'memory://', logSql: false });
    try {
      expect(seededFromBaseline(fromMigrations)).toBe(false);
      expect((await migrate(fromMigrations, () => {})).length).toBeGreaterThan(0);
      const migrated = await catalog(fromMigrations);
      for (const name of Object.keys(CATALOG)) expect(seeded[name], name).toEqual(migrated[name]);
      expect(migrated.columns!.length).toBeGreaterThan(100);
    } finally {
      await fromMigrations.close();
    }
  });

  it('is not used for a folder that already holds data', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'plantgraph-baseline-'));
    dirs.push(parent);
    const dataDir = join(parent, 'data');
    const first = await openDatabase({ dataDir, logSql: false });
    const pglite = await nativePglite(first);
    await pglite.exec('create table kept_by_the_second_start (id int)');
    await first.close();
    const again = await openDatabase({ dataDir, logSql: false });
    try {
      expect(seededFromBaseline(again)).toBe(false);
      const rows = await (await nativePglite(again)).query(`select to_regclass('kept_by_the_second_start') as t`);
      expect(rows.rows).toEqual([{ t: 'kept_by_the_second_start' }]);
    } finally {
      await again.close();
    }
  });

  it('uses the copy unpacked ahead for a new folder, and drops it when the folder is not new', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'plantgraph-baseline-'));
    dirs.push(parent);
    const dataDir = join(parent, 'data');
    const ahead = unpackAhead(dataDir, null);
    expect(ahead).not.toBeNull();
    expect(await ahead!.done).toBe(true);
    // A mark in the copy: the folder opened below must be this copy, not a second unpacking.
    writeFileSync(join(ahead!.staging, 'unpacked-ahead'), '');
    const db = await openDatabase({ dataDir, logSql: false }, undefined, null, ahead);
    try {
      expect(seededFromBaseline(db)).toBe(true);
      expect(existsSync(join(dataDir, 'unpacked-ahead'))).toBe(true);
      expect(await migrate(db, () => {})).toEqual([]);
    } finally {
      await db.close();
    }
    expect(readdirSync(parent)).toEqual(['data']); // no staging left beside it

    // Unpacked ahead, but the folder got data meanwhile (another start): the data stays, the copy goes.
    const other = join(parent, 'other');
    const late = unpackAhead(other, null);
    mkdirSync(other);
    writeFileSync(join(other, 'PG_VERSION'), 'not ours');
    expect(await late!.done).toBe(true);
    await expect(openDatabase({ dataDir: other, logSql: false }, undefined, null, late)).rejects.toThrow();
    expect(readdirSync(other)).toEqual(['PG_VERSION']);
    expect(readdirSync(parent).sort()).toEqual(['data', 'other']);
    expect(unpackAhead(dataDir, null)).toBeNull(); // not new
  });
});
