// Part of `npm run build`, after the hub's baseline: writes the demo's embedded baseline
// (demo/dist/baseline), the hub's baseline with the demo plant seeded by the same code a start runs
// (`seedDemoPlant`, through the hub's services), from which `plantgraph start --demo` makes a new
// embedded folder; the start moves its times to now (ADR 0049). Skipped when current: keyed by
// the hub's baseline key and the compiled code that seeds (hub, schema, demo).
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFromEnv, InProcessBus } from '@plantgraph/hub';
import {
  nativePglite,
  openDatabase,
  seededFromBaseline,
} from '@plantgraph/hub/dist/infrastructure/database/database.js';
import {
  baselineIsCurrent,
  baselineKey,
  packBaseline,
} from '@plantgraph/hub/dist/infrastructure/database/embedded-baseline.js';
import { createServices } from '@plantgraph/hub/dist/services.js';
import { DEMO_BASELINE, demoBaselineIsCurrent, storeDemoBaseline } from '../dist/demo-baseline.js';
import { seedDemoPlant } from '../dist/demo-plant.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every compiled file whose code can change what seeding writes. */
function inputsKey() {
  const hash = createHash('sha256').update(baselineKey());
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['baseline', 'ide', 'console'].includes(entry.name)) walk(path);
      } else if (entry.name.endsWith('.js')) hash.update(`${path.slice(ROOT.length)}\n`).update(readFileSync(path));
    }
  };
  for (const dir of ['hub/dist', 'schema/dist', 'demo/dist']) walk(join(ROOT, dir));
  return hash.digest('hex');
}

if (!baselineIsCurrent()) {
  console.log('[build] no current embedded baseline of the hub: the demo baseline is not written');
  process.exit(0);
}
const inputs = inputsKey();
if (demoBaselineIsCurrent(inputs)) process.exit(0);
const started = performance.now();
const folder = mkdtempSync(join(tmpdir(), 'plantgraph-demo-baseline-'));
const dataDir = join(folder, 'data');
const db = await openDatabase({ dataDir, logSql: false });
try {
  if (!seededFromBaseline(db)) throw new Error('the hub baseline was not used');
  const config = configFromEnv({});
  const services = createServices(db, new InProcessBus(), config.auth, undefined, console, undefined, {});
  const madeAt = new Date();
  if (!(await seedDemoPlant(services, db))) throw new Error('the demo plant was there already');
  const pglite = await nativePglite(db);
  // A checkpoint first: the data files then hold everything, and a start needs no WAL replay.
  await pglite.exec('CHECKPOINT');
  const tarball = packBaseline(new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer()));
  storeDemoBaseline(tarball, { key: baselineKey(), inputs, madeAt: madeAt.toISOString() });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`[build] demo baseline written to ${DEMO_BASELINE} (${seconds} s)`);
} finally {
  await db.close();
  rmSync(folder, { recursive: true, force: true });
}
