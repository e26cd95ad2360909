import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@plantgraph/hub';
import { CLI, spawnHub } from './support/process.js';

/**
 * Backups of the embedded database: `plantgraph backup` / `restore`, an automatic backup before
 * migrations change a folder, and a damaged folder that says what happened and what to do.
 */
const run = promisify(execFile);

describe('backups of the embedded database', () => {
  const parent = mkdtempSync(join(tmpdir(), 'plantgraph-backup-'));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));
  const dataDir = join(parent, 'data');
  const backups = join(parent, 'backups');
  const env = { PATH: process.env.PATH ?? '', PLANTGRAPH_DATA_DIR: dataDir, PLANTGRAPH_FLOWS: 'off' };
  const cli = (...args: string[]) =>
    run(process.execPath, [CLI, ...args], { env }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e) => ({ code: e.code as number, out: `${e.stdout}${e.stderr}` }),
    );
  const tryStart = () =>
    spawnHub(env, [], { readyWithinMs: 120_000 }).then(
      async (h) => {
        await h.stop();
        return { code: 0, out: 'started' };
      },
      (err: Error) => ({ code: 1, out: err.message }),
    );
  const keyNames = async (folder = dataDir) => {
    const db = await openDatabase({ dataDir: folder, logSql: false });
    try {
      return (await db.em.fork().execute<{ name: string }[]>('select name from api_key order by name')).map(
        (r) => r.name,
      );
    } finally {
      await db.close();
    }
  };
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('backs up, and restores what was backed up, keeping the folder it replaced', async () => {
    expect((await cli('migrate')).out).toMatch(/applied: Migration/);
    expect(existsSync(backups)).toBe(false); // a new folder has nothing to lose: no backup
    expect((await cli('api-key', 'create', '--name', 'before-backup', '--grant', 'admin@acme')).code).toBe(0);
    const file = join(parent, 'manual.tar.gz');
    const backup = await cli('backup', file);
    expect(backup.out).toMatch(
      new RegExp(`wrote the embedded database in ${escapeRegExp(dataDir)} to ${escapeRegExp(file)}`),
    );
    expect(backup.out).toContain(`plantgraph restore ${file}`);
    expect((await cli('backup', file)).out).toMatch(/already exists; choose a new file name/);
    expect((await cli('api-key', 'create', '--name', 'after-backup', '--grant', 'admin@acme')).code).toBe(0);

    const restore = await cli('restore', file);
    expect(restore.code).toBe(0);
    const keptAs = /the folder it replaced is kept as (\S+)\./.exec(restore.out)?.[1];
    expect(keptAs).toMatch(new RegExp(`^${escapeRegExp(dataDir)}\\.replaced-\\d{8}T\\d{6}Z$`));
    expect(await keyNames()).toEqual(['before-backup']);
    expect(await keyNames(keptAs)).toEqual(['after-backup', 'before-backup']);
    expect((await cli('restore', join(parent, 'nothing.tar.gz'))).out).toMatch(/there is no backup at/);
    expect(readdirSync(parent).filter((f) => f.startsWith('data.'))).toEqual([keptAs!.split('/').pop()]); // nothing moved
  }, 600_000); // PGlite opens take 10-40 s each on two shared cores

  it('backs up a folder before migrations change it, keeping the last five automatic backups', async () => {
    const db = await openDatabase({ dataDir, logSql: false });
    const [reverted] = await db.migrator.down(); // the folder now misses the newest migration
    await db.close();
    // Older automatic backups of this folder: only the newest five are kept.
    mkdirSync(backups, { recursive: true });
    for (let i = 1; i <= 5; i++) {
      const old = join(backups, `2020010${i}T000000Z-data-before-Migration0.tar.gz`);
      writeFileSync(old, 'old');
      utimesSync(old, new Date(2020, 0, i), new Date(2020, 0, i));
    }
    const migrated = await cli('migrate');
    const taken = new RegExp(
      `backed up ${escapeRegExp(dataDir)} to ${escapeRegExp(backups)}/(\\d{8}T\\d{6}Z-data-before-${reverted!.name}\\.tar\\.gz)`,
    );
    const file = join(backups, taken.exec(migrated.out)?.[1] ?? 'none');
    expect(migrated.out).toMatch(new RegExp(`applied: ${reverted!.name}`));
    expect(existsSync(file)).toBe(true);
    const kept = [2, 3, 4, 5].map((i) => `2020010${i}T000000Z-data-before-Migration0.tar.gz`);
    expect(readdirSync(backups).sort()).toEqual([...kept, file.split('/').pop()]);
    expect((await cli('migrate')).out).toMatch(/already up to date/);
    expect(readdirSync(backups)).toHaveLength(5); // nothing to migrate: no backup
  }, 600_000); // PGlite opens take 10-40 s each on two shared cores

  it('explains a folder that does not open, and the command it suggests brings it back', async () => {
    truncateSync(join(dataDir, 'global', 'pg_control'), 0); // what a second writer or a full disk can leave
    const latest = readdirSync(backups).sort().pop()!;
    for (const failed of [await cli('migrate'), await tryStart()]) {
      expect(failed.code).toBe(1);
      expect(failed.out).toMatch(
        new RegExp(`The embedded database in ${escapeRegExp(dataDir)} does not open: PGlite reports "Aborted\\(\\)"`),
      );
      expect(failed.out).toMatch(/stop every process using the folder/);
      expect(failed.out).toContain(`plantgraph restore ${join(backups, latest)}`);
      expect(failed.out).not.toMatch(/Build with -sASSERTIONS/);
    }
    expect(existsSync(`${dataDir}.lock`)).toBe(false); // a failed open releases the folder
    expect((await cli('restore', join(backups, latest))).code).toBe(0);
    expect((await cli('migrate')).out).toMatch(/applied: Migration/); // the backup was taken before that migration
    expect(await keyNames()).toEqual(['before-backup']);
  }, 600_000); // PGlite opens take 10-40 s each on two shared cores
});
