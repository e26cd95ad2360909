// `npm run bench:console`: the plant console's size and time to interactive (issue 21). Bundles it
// afresh (`console/build.mjs --force`, timed), gzips what a browser downloads, then starts
// `plantgraph start --demo` (flows off) and opens each screen BENCH_CONSOLE_RUNS times (default 10,
// at most 50) in Debian's Chromium, each in a new browser context (no HTTP cache), signed in as the
// demo supervisor: time from navigation to the screen's data drawn (`performance.now()` then).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'hub/dist/cli.js');
const RUNS = Math.min(Number(process.env.BENCH_CONSOLE_RUNS ?? 10), 50);
const CHROMIUM = [process.env.PLANTGRAPH_TEST_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p) => p && existsSync(p),
);
const PASSWORD = 'bench-console-password';
const TARGET = { gzippedKb: 400, interactiveMs: 1500 };
const SCREENS = {
  andon: ['#/andon?scope=acme/berlin', '[data-path="acme/berlin/assembly/line-1/press-1"]'],
  oee: ['#/oee?scope=acme/berlin/assembly/line-1&window=day', '[data-testid="figures"]'],
  orders: ['#/orders?scope=acme/berlin&order=WO-1001', '#order-title'],
};
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!CHROMIUM) {
  log('no Chromium at /usr/bin/chromium: `apt-get install -y chromium` (or set PLANTGRAPH_TEST_CHROMIUM)');
  process.exit(1);
}

const started = Date.now();
execFileSync(process.execPath, [join(ROOT, 'console/build.mjs'), '--force'], { stdio: 'inherit' });
const buildMs = Date.now() - started;
const out = join(ROOT, 'hub/dist/console');
const sizes = ['console.js', 'console.css'].map((f) => {
  const body = readFileSync(join(out, f));
  return { file: f, bytes: body.length, gzipped: gzipSync(body).length };
});
const gzippedKb = sizes.reduce((n, s) => n + s.gzipped, 0) / 1024;

const dir = mkdtempSync(join(tmpdir(), 'plantgraph-bench-console-'));
const hub = spawn(process.execPath, [CLI, 'start', '--demo'], {
  env: {
    PATH: process.env.PATH ?? '',
    PORT: '0',
    PLANTGRAPH_DATA_DIR: join(dir, 'data'),
    PLANTGRAPH_FLOWS: 'off',
    PLANTGRAPH_DEV_IDP_PASSWORD: PASSWORD,
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const results = {};
let browser;
try {
  const url = await new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the hub did not start in 90 s:\n${output}`)), 90_000);
    const onData = (chunk) => {
      output += chunk;
      const match = /ready at (http:\/\/\S+)/.exec(output);
      if (match && output.includes('stop with Ctrl-C')) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    hub.stdout.on('data', onData);
    hub.stderr.on('data', onData);
  });
  const response = await fetch(`${url}/dev-idp/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'password', username: 'E1003', password: PASSWORD }),
  });
  const token = (await response.json()).access_token;
  // The hub's share of the OEE board: its one query (three groupings and the Pareto) over HTTP.
  const board = `{ a: oee(scope: "acme/berlin/assembly/line-1", from: "${new Date(Date.now() - 86_400_000).toISOString()}",
    to: "${new Date().toISOString()}", groupBy: ProductionLine) { oee }
    b: oee(scope: "acme/berlin/assembly/line-1", from: "${new Date(Date.now() - 86_400_000).toISOString()}",
    to: "${new Date().toISOString()}", groupBy: Equipment) { oee }
    c: downtimePareto(scope: "acme/berlin/assembly/line-1", from: "${new Date(Date.now() - 86_400_000).toISOString()}",
    to: "${new Date().toISOString()}") { reason } }`;
  results.oeeQuery = [];
  for (let run = 0; run < RUNS; run++) {
    const t = performance.now();
    await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: board }),
    }).then((r) => r.json());
    results.oeeQuery.push(performance.now() - t);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  for (const [screen, [hash, drawn]] of Object.entries(SCREENS)) {
    results[screen] = [];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
      await context.addInitScript(
        ([t]) => {
          localStorage.setItem('plantgraph.console.token', t);
          localStorage.setItem('plantgraph.console.session', JSON.stringify({ name: 'E1003' }));
        },
        [token],
      );
      const page = await context.newPage();
      await page.route('**/*', (route) => (route.request().url().startsWith(url) ? route.continue() : route.abort()));
      await page.goto(`${url}/console${hash}`);
      await page.locator(drawn).first().waitFor({ timeout: 30_000 });
      results[screen].push(await page.evaluate(() => performance.now()));
      await context.close();
    }
  }
} finally {
  await browser?.close();
  hub.kill('SIGTERM');
  await new Promise((r) => hub.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

const [load1] = loadavg();
console.log(`plant console, ${RUNS} loads per screen, load average ${load1.toFixed(1)}`);
console.log('| measure | value | target |');
console.log('|---|---:|---:|');
for (const s of sizes)
  console.log(`| ${s.file} | ${(s.bytes / 1024).toFixed(1)} KB, ${(s.gzipped / 1024).toFixed(1)} KB gzipped | |`);
console.log(
  `| gzipped in all | ${gzippedKb.toFixed(1)} KB | < ${TARGET.gzippedKb} KB ${gzippedKb < TARGET.gzippedKb ? '✓' : '✗'} |`,
);
console.log(`| bundle build (tsc check + esbuild) | ${buildMs} ms | |`);
const { oeeQuery, ...screens } = results;
console.log(`| the OEE board's query alone (HTTP), median | ${median(oeeQuery).toFixed(0)} ms | |`);
for (const [screen, times] of Object.entries(screens)) {
  const m = median(times);
  console.log(
    `| ${screen}: navigation → data drawn, median (worst) | ${m.toFixed(0)} ms (${Math.max(...times).toFixed(0)} ms) | ` +
      `< ${TARGET.interactiveMs} ms ${m < TARGET.interactiveMs ? '✓' : '✗'} |`,
  );
}
