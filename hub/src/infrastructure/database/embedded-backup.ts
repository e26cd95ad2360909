import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * Backups of the embedded database: the whole PGlite data folder as one `.tar.gz`
 * (`PGlite.dumpDataDir`), restored into a fresh folder with `loadDataDir`. Automatic backups are
 * taken before migrations change an existing folder and kept next to it, in `<parent>/backups`.
 */
const KEPT_AUTOMATIC_BACKUPS = 5;

export const backupsFolderOf = (folder: string) => join(dirname(folder), 'backups');

/** The backups of this folder (automatic and `plantgraph backup` into the backups folder), newest first. */
export function listBackups(folder: string): string[] {
  const dir = backupsFolderOf(folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tar.gz'))
    .map((f) => ({ file: join(dir, f), at: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at || b.file.localeCompare(a.file))
    .map((b) => b.file);
}

/** Writes the folder's current state to `file` (through a temporary name, so a backup is whole or absent). */
export async function writeBackup(pglite: PGlite, file: string): Promise<{ file: string; bytes: number }> {
  // A checkpoint first: the data files then hold everything, and a restore needs no WAL replay.
  await pglite.exec('CHECKPOINT');
  const tarball = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
  const target = resolve(file);
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  writeFileSync(partial, tarball);
  renameSync(partial, target);
  return { file: target, bytes: tarball.length };
}

/** The backup taken before `migration` runs on an existing folder; older automatic ones beyond the last few go. */
export async function backupBeforeMigration(pglite: PGlite, folder: string, migration: string): Promise<string> {
  const dir = backupsFolderOf(folder);
  const marker = `-${basename(folder)}-before-`;
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const { file } = await writeBackup(pglite, join(dir, `${stamp}${marker}${migration}.tar.gz`));
  const automatic = readdirSync(dir)
    .filter((f) => f.includes(marker) && f.endsWith('.tar.gz'))
    .sort()
    .reverse();
  for (const old of automatic.slice(KEPT_AUTOMATIC_BACKUPS)) unlinkSync(join(dir, old));
  return file;
}

/**
 * Replaces the folder with the backup in `file`. The backup is unpacked into a new folder and
 * opened there first; only then is the current folder moved aside (never deleted) and the new one
 * put in its place. The caller holds the folder's lock.
 */
export async function restoreBackup(folder: string, file: string): Promise<{ keptAs: string | null }> {
  const source = resolve(file);
  if (!existsSync(source)) throw new Error(`restore: there is no backup at ${source}.`);
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const staging = `${folder}.restoring-${stamp}`;
  try {
    const restored = await PGlite.create(staging, { loadDataDir: new Blob([readFileSync(source)]) });
    await restored.query('select 1');
    await restored.close();
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `restore: ${source} is not a backup of an embedded database that opens (${describe(err)}). ` +
        'Nothing was changed.',
    );
  }
  let keptAs: string | null = null;
  if (existsSync(folder) && readdirSync(folder).length) {
    keptAs = `${folder}.replaced-${stamp}`;
    renameSync(folder, keptAs);
  } else rmSync(folder, { recursive: true, force: true });
  renameSync(staging, folder);
  return { keptAs };
}

/** A folder that does not open, with what happened and what to do about it. */
export class EmbeddedFolderError extends Error {
  constructor(
    readonly folder: string,
    cause: unknown,
  ) {
    const backups = listBackups(folder);
    const restore = backups.length
      ? `restore the latest backup:\n    plantgraph restore ${backups[0]}\n` +
        (backups.length > 1 ? `  (older ones: ${backups.slice(1, 4).join(', ')})\n` : '')
      : `restore a backup you keep (there is none in ${backupsFolderOf(folder)}):\n    plantgraph restore <file.tar.gz>\n`;
    super(
      `The embedded database in ${folder} does not open: PGlite reports "${describe(cause)}". ` +
        'Its files are damaged or incomplete; typical causes are two processes using the folder at once, ' +
        'a full disk, or a copy taken while the hub was running.\n' +
        `  To recover, stop every process using the folder, then ${restore}` +
        `  (restore keeps the damaged folder next to it as ${basename(folder)}.replaced-<time>).\n` +
        `  Without a backup: move ${folder} away and start again with an empty database.`,
      { cause },
    );
    this.name = 'EmbeddedFolderError';
  }
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\.?\s*Build with -sASSERTIONS for more info\.?/, '').trim() || 'no reason given';
}
