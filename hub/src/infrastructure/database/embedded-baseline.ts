import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';

/**
 * A new embedded folder starts from the baseline (ADR 0029): the data folder PGlite's `initdb`
 * makes, with every migration applied and the migration table filled, written by `npm run build`
 * (`hub/scripts/embedded-baseline.mjs`) as one `.tar.gz`. Unpacking it takes a fraction of a second
 * where `initdb` and the migrations took seconds and a gigabyte. It is keyed by the PGlite version
 * and the compiled migrations' names and contents, so a baseline that no longer matches them is
 * never used (the folder is then made the slow way); `test/embedded-baseline.e2e.test.ts` compares
 * the catalogs of both ways.
 */
export const BASELINE_DIR = fileURLToPath(new URL('./baseline', import.meta.url));
export const BASELINE_TARBALL = join(BASELINE_DIR, 'pgdata.tar.zst');
const BASELINE_KEY = join(BASELINE_DIR, 'key.txt');
const MIGRATIONS_DIST = fileURLToPath(new URL('./migrations', import.meta.url));

/** What the baseline must have been made from: the PGlite version and the compiled migrations. */
export function baselineKey(): string {
  const require = createRequire(import.meta.url);
  const pglite = JSON.parse(
    readFileSync(join(dirname(dirname(require.resolve('@electric-sql/pglite'))), 'package.json'), 'utf8'),
  ) as { version: string };
  const hash = createHash('sha256').update(`pglite ${pglite.version}\n`);
  for (const file of readdirSync(MIGRATIONS_DIST)
    .filter((f) => f.endsWith('.js'))
    .sort())
    hash.update(`${file}\n`).update(readFileSync(join(MIGRATIONS_DIST, file)));
  return hash.digest('hex');
}

/** True when the built baseline matches this build's migrations and PGlite. */
export function baselineIsCurrent(key = baselineKey()): boolean {
  return existsSync(BASELINE_TARBALL) && existsSync(BASELINE_KEY) && readFileSync(BASELINE_KEY, 'utf8') === key;
}

/**
 * A data folder's tar (`PGlite.dumpDataDir('none')`) as a baseline file: zstd, which a start unpacks in
 * about half the time gzip took (170–190 against 330 ms for the demo's 42 MB here) and which is 4.0
 * against 5.4 MB. Level 9: higher levels took seconds more per build for little less.
 */
export function packBaseline(tar: Uint8Array): Buffer {
  return zstdCompressSync(tar, { params: { [constants.ZSTD_c_compressionLevel]: 9 } });
}

/** Stores a data folder's tar (`PGlite.dumpDataDir('none')`) as the baseline for `key`. */
export function storeBaseline(tar: Uint8Array, key: string): void {
  mkdirSync(BASELINE_DIR, { recursive: true });
  writeFileSync(`${BASELINE_TARBALL}.tmp`, packBaseline(tar));
  renameSync(`${BASELINE_TARBALL}.tmp`, BASELINE_TARBALL);
  writeFileSync(BASELINE_KEY, key);
}

/**
 * A data folder an extension built from the hub's baseline with its own data added (the demo
 * plant), used instead of the hub's for a new folder; the start then moves its times by the time
 * since `madeAt` (`core/baseline-times.ts`, ADR 0049).
 */
export interface ExtensionBaseline {
  /** The data folder's tar packed by `packBaseline`. */
  readonly tarball: string;
  /** The hub baseline key it was made on (`baselineKey()`); another is not used. */
  readonly key: string;
  /** When its data was written: the times in it are moved by the time from then to the start. */
  readonly madeAt: Date;
}

/** What a new folder was made from: the hub's baseline, or an extension's. */
export type SeededFrom = 'hub' | ExtensionBaseline;

/** Whether `folder` is new: absent, or an empty folder. */
function isNewFolder(folder: string): boolean {
  return !existsSync(folder) || readdirSync(folder).length === 0;
}

/** The tarball a new folder is made from: the extension's when it was made on this hub's baseline. */
function chosenTarball(extension: ExtensionBaseline | null, key: string): { tarball: string; from: SeededFrom } {
  const from = extension && existsSync(extension.tarball) && extension.key === key ? extension : null;
  return { tarball: from?.tarball ?? BASELINE_TARBALL, from: from ?? 'hub' };
}

/** A baseline being unpacked beside a new folder by a worker thread (`unpackAhead`). */
export interface UnpackingAhead {
  readonly tarball: string;
  readonly staging: string;
  /** True once it is all there; false when the worker failed (the folder is then made as usual). */
  readonly done: Promise<boolean>;
  /** Stops the worker and removes the copy (a start that ends before it opens the database). */
  discard(): Promise<void>;
}

/**
 * Starts unpacking the baseline a new `folder` would be made from (as `seedFromBaseline` chooses it)
 * in a worker thread, into a staging folder of this process, so that a start's module loading on the
 * main thread and the unpacking run on both cores (ADR 0070). Null when the folder is not new or no
 * baseline is current. Takes no lock: the folder itself is only touched by `seedFromBaseline`, under it.
 */
export function unpackAhead(folder: string, extension: ExtensionBaseline | null): UnpackingAhead | null {
  if (folder.startsWith('memory://') || !isNewFolder(folder)) return null;
  const key = baselineKey(); // a few ms: it hashes every migration
  if (!baselineIsCurrent(key)) return null;
  const { tarball } = chosenTarball(extension, key);
  const staging = `${folder}.unpacking-${process.pid}`;
  const worker = new Worker(new URL('./baseline-unpacker.js', import.meta.url), { workerData: { tarball, staging } });
  const done = new Promise<boolean>((resolve) => {
    worker.once('error', () => resolve(false));
    worker.once('exit', (code) => resolve(code === 0));
  });
  const discard = async () => {
    await worker.terminate();
    rmSync(staging, { recursive: true, force: true });
  };
  return { tarball, staging, done, discard };
}

/** Unpacks a baseline tarball into `target` (made anew). */
export function unpackBaseline(tarball: string, target: string): void {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  untar(zstdDecompressSync(readFileSync(tarball)), target);
}

/**
 * Unpacks the baseline (an extension's, when given and made on this hub's) into `folder` when the folder is new (absent or empty) and the baseline is
 * current; returns whether it did. Unpacked beside the folder and renamed into place, so a start
 * that dies half-way leaves no half-made database; a copy `unpackAhead` finished of the same tarball
 * (`unpacked`) is renamed into place instead. The caller holds the folder's lock. Returns
 * what it was made from, or null when it was not.
 */
export function seedFromBaseline(
  folder: string,
  extension: ExtensionBaseline | null = null,
  unpacked: Pick<UnpackingAhead, 'tarball' | 'staging'> | null = null,
): SeededFrom | null {
  if (!isNewFolder(folder)) return null;
  const key = baselineKey();
  if (!baselineIsCurrent(key)) return null;
  // An extension's baseline is the hub's with its data added; it is made for the hub's baseline key.
  const { tarball, from } = chosenTarball(extension, key);
  let staging = `${folder}.seeding`;
  if (unpacked?.tarball === tarball) staging = unpacked.staging;
  else unpackBaseline(tarball, staging);
  rmSync(folder, { recursive: true, force: true });
  renameSync(staging, folder);
  return from;
}

/** The ustar subset `dumpDataDir` writes: directories and regular files, names of up to 100 + 155 characters. */
function untar(tar: Buffer, target: string): void {
  const made = new Set<string>();
  const makeDirectory = (path: string) => {
    if (!made.has(path)) mkdirSync(path, { recursive: true });
    made.add(path);
  };
  const field = (at: number, length: number) => tar.toString('utf8', at, at + length).replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = field(at, 100);
    if (!name) break; // the two zero blocks at the end
    const prefix = field(at + 345, 155);
    const size = Number.parseInt(field(at + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(tar[at + 156]!);
    const path = join(target, prefix ? `${prefix}/${name}` : name);
    if (!path.startsWith(target)) throw new Error(`The embedded baseline names a path outside its folder: ${name}`);
    if (type === '5') makeDirectory(path);
    else if (type === '0' || type === '\0') {
      makeDirectory(dirname(path));
      writeFileSync(path, tar.subarray(at + 512, at + 512 + size));
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
}
