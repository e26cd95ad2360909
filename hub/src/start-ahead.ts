import { embeddedDataDir } from './data-dir.js';
import {
  type ExtensionBaseline,
  type UnpackingAhead,
  unpackAhead,
} from './infrastructure/database/embedded-baseline.js';

/** The demo plant, its machine simulator and its flows: an extension package, for `start --demo`. */
export const DEMO_PACKAGE = '@plantgraph/demo';

/**
 * The first step of `plantgraph start`, before the hub's modules load (ADR 0070): a new embedded
 * folder's baseline starts unpacking in a worker thread, so that the two run on both cores. Reads
 * only what it needs of the settings (`configFromEnv` reads them all, once the modules are loaded, and
 * reports what is wrong); anything unexpected here just leaves the unpacking to `openDatabase`.
 */
export async function unpackAheadForStart(env: NodeJS.ProcessEnv, flags: string[]): Promise<UnpackingAhead | null> {
  const folder = embeddedDataDir(env);
  if (env.DATABASE_URL) return null;
  try {
    const demo = flags.includes('--demo') || env.PLANTGRAPH_DEMO === '1' || env.PLANTGRAPH_DEMO === 'true';
    return unpackAhead(folder, demo ? await demoBaseline() : null);
  } catch {
    return null;
  }
}

/** The demo's baseline, from its small module (its package, loaded later, reads the same). */
async function demoBaseline(): Promise<ExtensionBaseline | null> {
  const module = (await import(`${DEMO_PACKAGE}/dist/demo-baseline.js`)) as {
    demoBaseline(): ExtensionBaseline | null;
  };
  return module.demoBaseline();
}
