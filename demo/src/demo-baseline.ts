import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExtensionBaseline } from '@plantgraph/hub';

/**
 * The demo's embedded baseline (ADR 0049): the hub's baseline with the demo plant seeded, written by
 * `npm run build` (`demo/scripts/embedded-baseline.mjs`). A new embedded folder started with
 * `--demo` is made from it, and its times are moved to the start's, instead of seeding for seconds.
 */
const DIR = fileURLToPath(new URL('./baseline', import.meta.url));
export const DEMO_BASELINE = join(DIR, 'pgdata.tar.zst');
const META = join(DIR, 'baseline.json');

interface Meta {
  /** The hub baseline key it was made on. */
  key: string;
  /** The hash of the compiled code that seeded it (hub, schema, demo): the build makes a new one when it changes. */
  inputs: string;
  /** When seeding ended. */
  madeAt: string;
}

function meta(): Meta | null {
  try {
    return existsSync(DEMO_BASELINE) ? (JSON.parse(readFileSync(META, 'utf8')) as Meta) : null;
  } catch {
    return null;
  }
}

/** The baseline for the hub to use, or null when none was built (the demo then seeds at start). */
export function demoBaseline(): ExtensionBaseline | null {
  const m = meta();
  return m ? { tarball: DEMO_BASELINE, key: m.key, madeAt: new Date(m.madeAt) } : null;
}

/** True when the built baseline was seeded by this code (`inputs`). */
export function demoBaselineIsCurrent(inputs: string): boolean {
  return meta()?.inputs === inputs;
}

/** Stores the demo's data folder, packed as the hub packs its baseline (`packBaseline`). */
export function storeDemoBaseline(tarball: Uint8Array, m: Meta): void {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(`${DEMO_BASELINE}.tmp`, tarball);
  renameSync(`${DEMO_BASELINE}.tmp`, DEMO_BASELINE);
  writeFileSync(META, `${JSON.stringify(m, null, 2)}\n`);
}
