import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

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
export const BASELINE_TARBALL = join(BASELINE_DIR, 'pgdata.tar.gz');
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

/** Stores a data folder tarball (`PGlite.dumpDataDir('gzip')`) as the baseline for `key`. */
export function storeBaseline(tarball: Uint8Array, key: string): void {
  mkdirSync(BASELINE_DIR, { recursive: true });
  writeFileSync(`${BASELINE_TARBALL}.tmp`, tarball);
  renameSync(`${BASELINE_TARBALL}.tmp`, BASELINE_TARBALL);
  writeFileSync(BASELINE_KEY, key);
}

/**
 * A data folder an extension built from the hub's baseline with its own data added (the demo
 * plant), used instead of the hub's for a new folder; the start then moves its times by the time
 * since `madeAt` (`core/baseline-times.ts`, ADR 0049).
 */
export interface ExtensionBaseline {
  /** The `.tar.gz` of the data folder (`PGlite.dumpDataDir('gzip')`). */
  readonly tarball: string;
  /** The hub baseline key it was made on (`baselineKey()`); another is not used. */
  readonly key: string;
  /** When its data was written: the times in it are moved by the time from then to the start. */
  readonly madeAt: Date;
}

/** What a new folder was made from: the hub's baseline, or an extension's. */
export type SeededFrom = 'hub' | ExtensionBaseline;

/**
 * Unpacks the baseline (an extension's, when given and made on this hub's) into `folder` when the folder is new (absent or empty) and the baseline is
 * current; returns whether it did. Unpacked beside the folder and renamed into place, so a start
 * that dies half-way leaves no half-made database. The caller holds the folder's lock. Returns
 * what it was made from, or null when it was not.
 */
export function seedFromBaseline(folder: string, extension: ExtensionBaseline | null = null): SeededFrom | null {
  if (existsSync(folder) && readdirSync(folder).length) return null;
  if (!baselineIsCurrent()) return null;
  // An extension's baseline is the hub's with its data added; it is made for the hub's baseline key.
  const from = extension && existsSync(extension.tarball) && extension.key === baselineKey() ? extension : null;
  const staging = `${folder}.seeding`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  untar(gunzipSync(readFileSync(from?.tarball ?? BASELINE_TARBALL)), staging);
  rmSync(folder, { recursive: true, force: true });
  renameSync(staging, folder);
  return from ?? 'hub';
}

/** The ustar subset `dumpDataDir` writes: directories and regular files, names of up to 100 + 155 characters. */
function untar(tar: Buffer, target: string): void {
  const field = (at: number, length: number) => tar.toString('utf8', at, at + length).replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = field(at, 100);
    if (!name) break; // the two zero blocks at the end
    const prefix = field(at + 345, 155);
    const size = Number.parseInt(field(at + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(tar[at + 156]!);
    const path = join(target, prefix ? `${prefix}/${name}` : name);
    if (!path.startsWith(target)) throw new Error(`The embedded baseline names a path outside its folder: ${name}`);
    if (type === '5') mkdirSync(path, { recursive: true });
    else if (type === '0' || type === '\0') {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, tar.subarray(at + 512, at + 512 + size));
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
}
