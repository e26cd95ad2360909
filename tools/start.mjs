// `npm start`: builds only when a source changed since the last build that passed, then runs the
// hub in this process (`plantgraph start --demo`). A build on every start took 1.7 s of each.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What `npm run build` compiles for the hub to run; tests are not needed to start it. */
const SOURCES = [
  'schema',
  'hub',
  'demo',
  'connectors/sdk',
  'connectors/sap-s4hana',
  'connectors/sap-s4hana-simulator',
  'connectors/opcua',
  'connectors/opcua-simulator',
  'connectors/sparkplug',
  'connectors/sparkplug-simulator',
  'connectors/simulator-kit',
  'connectors/cmms-maintainx',
  'connectors/cmms-maintainx-simulator',
  'connectors/qms-rest',
  'connectors/qms-rest-simulator',
  'flows/node-red',
  'console',
];
const SKIPPED = new Set(['node_modules', 'dist', 'test', 'coverage']);
const STAMP = join(ROOT, 'node_modules/.cache/plantgraph/built-at');

function newestChange(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its folder
  for (const entry of readdirSync(path))
    if (!SKIPPED.has(entry) && !entry.startsWith('.') && !entry.endsWith('.tsbuildinfo'))
      newest = Math.max(newest, newestChange(join(path, entry)));
  return newest;
}

const changed = Math.max(
  ...SOURCES.map((s) => newestChange(join(ROOT, s))),
  ...['package.json', 'package-lock.json', 'tsconfig.base.json'].map((f) => statSync(join(ROOT, f)).mtimeMs),
);
const built = existsSync(STAMP) && existsSync(join(ROOT, 'hub/dist/cli.js')) ? statSync(STAMP).mtimeMs : 0;
if (changed > built) {
  const startedAt = Date.now();
  console.log(built ? '[start] sources changed since the last build: building' : '[start] building');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  mkdirSync(dirname(STAMP), { recursive: true });
  // Stamped with the time the build started: a file saved during the build is built next time.
  writeFileSync(STAMP, '');
  const at = new Date(startedAt);
  utimesSync(STAMP, at, at);
}
process.argv = [process.argv[0], join(ROOT, 'hub/dist/cli.js'), 'start', '--demo', ...process.argv.slice(2)];
await import('../hub/dist/cli.js');
