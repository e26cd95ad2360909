// Part of `npm run build`: writes the embedded baseline (hub/dist/infrastructure/database/baseline),
// a PGlite data folder with every migration applied, from which new embedded folders start
// (embedded-baseline.ts, ADR 0029). Skipped when the one there matches the built migrations.
import { baselineIsCurrent, baselineKey, storeBaseline } from '../dist/infrastructure/database/embedded-baseline.js';
import { migrate, nativePglite, openDatabase } from '../dist/infrastructure/database/database.js';

const key = baselineKey();
if (baselineIsCurrent(key)) process.exit(0);
const started = performance.now();
const db = await openDatabase({ dataDir: 'memory://', logSql: false });
try {
  const applied = await migrate(db, () => {});
  const pglite = await nativePglite(db);
  // A checkpoint first: the data files then hold everything, and a start needs no WAL replay.
  await pglite.exec('CHECKPOINT');
  storeBaseline(new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer()), key);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`[build] embedded baseline written: ${applied.length} migrations (${seconds} s)`);
} finally {
  await db.close();
}
