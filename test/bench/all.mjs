// `npm run bench`: every benchmark that has a target, one after the other (each prints its figures
// beside their targets), then which ran, failed or were skipped. Reads (`npm run bench:reads`) is
// apart: it seeds a large plant and needs PostGraphile. The console's needs Chromium; without it
// that one is skipped, and said so.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BENCHES = ['ingest', 'sockets', 'startup', 'connectors', 'opcua', 'sparkplug', 'b2mml', 'scheduling', 'console'];
/** Where test/bench/console.mjs looks for Chromium. */
const chromium = [process.env.PLANTGRAPH_TEST_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p) => p && existsSync(p),
);
const outcomes = [];
for (const name of BENCHES) {
  if (name === 'console' && !chromium) {
    outcomes.push(`${name}: skipped (no Chromium at /usr/bin/chromium; set PLANTGRAPH_TEST_CHROMIUM)`);
    continue;
  }
  console.log(`\n### bench:${name}`);
  const file = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
  const { status, signal } = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  outcomes.push(`${name}: ${status === 0 ? 'ran' : `failed (${signal ?? `exit ${status}`})`}`);
}
console.log(`\nBenchmarks:\n${outcomes.map((o) => `  ${o}`).join('\n')}`);
if (outcomes.some((o) => o.includes('failed'))) process.exitCode = 1;
