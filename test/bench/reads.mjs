// `npm run bench:reads`: nested reads of the hub against PostGraphile v5 on the same database and
// data. A fresh PostgreSQL database (dropped at the end) gets a plant through the hub's API (1 site,
// BENCH_READS_LINES lines × BENCH_READS_MACHINES machines, product definitions) and bulk rows by SQL
// (26 state changes per machine, BENCH_READS_ORDERS work orders with a released snapshot). The hub
// (test/bench/reads-hub.mjs) and PostGraphile (reads-postgraphile.mjs) each run in a process of
// their own; this process is the one HTTP client of both: BENCH_READS_CONNECTIONS keep-alive
// connections, each sending its next request when the previous answered, for BENCH_READS_SECONDS
// per run, BENCH_READS_ROUNDS runs per server and shape, the servers alternating. SQL statements
// per request are counted at each server's driver over sequential requests after the runs.
// BENCH_HUB_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the hub; BENCH_CLI=<build>/hub/dist/cli.js
// runs another build of the hub (a before/after). CPU per request of each server and of the PostgreSQL
// backends serving the database is read from /proc during each server's timed runs (they alternate).
import { execFile, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { freshBenchDatabase } from './bench-backing.mjs';
import { cpuMeter, postgresPids } from './process-cpu.mjs';
import { seedPlant } from './reads-seed.mjs';

const LINES = Number(process.env.BENCH_READS_LINES ?? 10);
const MACHINES = Number(process.env.BENCH_READS_MACHINES ?? 20);
const ORDERS = Number(process.env.BENCH_READS_ORDERS ?? 2_000);
const CONNECTIONS = Number(process.env.BENCH_READS_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_READS_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_READS_ROUNDS ?? 3);
const COUNTED = 20;
const NATS_URL = process.env.PLANTGRAPH_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const CLI = process.env.BENCH_CLI ?? fileURLToPath(new URL('../../hub/dist/cli.js', import.meta.url));
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
const pick = (list) => list[Math.floor(Math.random() * list.length)];

/** Each shape as both servers spell it; `vars` picks the object of the next request. */
const SHAPES = [
  {
    name: 'one object (an equipment by path)',
    nested: false,
    hub: 'query ($p: String!) { equipment(path: $p) { path name level state stateSince } }',
    peer: 'query ($p: String!) { equipmentByPath(path: $p) { path name level state stateSince } }',
    vars: (plant) => ({ p: pick(plant.machines) }),
  },
  {
    name: "a line → its machines → each machine's stateHistory(first: 5)",
    nested: true,
    hub: `query ($p: String!) { equipment(path: $p) { path name children { path state
      stateHistory(first: 5) { edges { node { state previousState reason at } } } } } }`,
    peer: `query ($p: String!) { equipmentByPath(path: $p) { path name children(orderBy: PATH_ASC) { nodes { path state
      equipmentStateChangesByEquipmentId(first: 5, orderBy: ROW_ID_DESC) { edges { node { state previousState reason at } } } } } } }`,
    vars: (plant) => ({ p: pick(plant.lines) }),
  },
  {
    name: '50 work orders → product-definition version → product definition, and equipment',
    nested: true,
    hub: `{ workOrders(first: 50) { edges { node { number state quantity
      productDefinitionVersion { version state productDefinition { code name } } equipment { path name } } } } }`,
    peer: `{ allWorkOrders(first: 50, orderBy: NUMBER_ASC) { edges { node { number state quantity
      productDefinitionVersionByProductDefinitionVersionId { version state productDefinitionByProductDefinitionId { code name } }
      equipmentByEquipmentId { path name } } } } }`,
    vars: () => ({}),
  },
];

/**
 * BENCH_READS_PATH=resolvers sends the hub's operations with `extensions: {}`, which the read
 * compiler leaves to Apollo and the resolvers: the same build measured without compiled reads.
 */
const RESOLVERS = process.env.BENCH_READS_PATH === 'resolvers';

function post(agent, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `CONNECTIONS` closed loops against one server for `seconds`: requests, failures, latencies (ms). */
async function drive(server, query, vars, seconds) {
  const meter = server.meter?.();
  await meter?.start();
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies = [];
  let failures = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const body = JSON.stringify({ query, variables: vars(), ...(server.resolvers ? { extensions: {} } : {}) });
      const t0 = performance.now();
      const { status, text } = await post(agent, server.url, server.headers(body), body);
      latencies.push(performance.now() - t0);
      if (status !== 200 || text.startsWith('{"errors"') || text.includes('"errors":[')) failures++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  const cpu = await meter?.stop(latencies.length);
  return { requests: latencies.length, failures, latencies, elapsed, cpu };
}

async function answer(server, query, variables) {
  const body = JSON.stringify({ query, variables, ...(server.resolvers ? { extensions: {} } : {}) });
  const { status, text } = await post(undefined, server.url, server.headers(body), body);
  const parsed = JSON.parse(text);
  if (status !== 200 || parsed.errors) throw new Error(`${server.name}: HTTP ${status} ${text.slice(0, 500)}`);
  return parsed.data;
}

function statementsOf(child) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m && typeof m.statements === 'number') {
        child.off('message', on);
        resolve(m.statements);
      }
    };
    child.on('message', on);
    child.send('statements');
  });
}

/** Statements per request: sequential requests, the server's counter before and after. */
async function statementsPerRequest(server, query, vars) {
  const before = await statementsOf(server.child);
  for (let i = 0; i < COUNTED; i++) await answer(server, query, vars());
  return ((await statementsOf(server.child)) - before) / COUNTED;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

function startChild(script, args, env, execArgv, ready) {
  const child = fork(here(script), args, { env, execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const url = ready.stdout?.(out);
      if (url) resolve({ child, url });
    });
    child.on('message', (m) => {
      const url = ready.message?.(m);
      if (url) resolve({ child, url });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}: ${out}`)));
  });
}

const { name, url, admin, drop } = await freshBenchDatabase();
const env = {
  PATH: process.env.PATH,
  DATABASE_URL: url,
  NATS_URL,
  PLANTGRAPH_NATS_NAMESPACE: `bench${randomBytes(3).toString('hex')}`,
  PLANTGRAPH_FLOWS: 'off',
  PLANTGRAPH_RATE_LIMIT_PER_SECOND: '1000000',
  PLANTGRAPH_RATE_LIMIT_BURST: '1000000',
  PLANTGRAPH_OEE_UPDATE_INTERVAL_MS: '60000',
  PORT: '0',
  BENCH_READS_LOG_STATEMENTS: process.env.BENCH_READS_LOG_STATEMENTS ?? '',
  BENCH_CLI: CLI,
};
/** CPU of a server's process, of the database's backends and of this runner, over one timed run. */
const meterOf = (child) => () =>
  cpuMeter({
    server: async () => [child.pid],
    postgres: async () => postgresPids(db, name),
    runner: async () => [process.pid],
  });
const children = [];
let db;
try {
  log(`database ${name}`);
  const run = promisify(execFile);
  await run(process.execPath, [CLI, 'migrate'], { env });
  const key = /\n(pgk_\S+)/.exec(
    (await run(process.execPath, [CLI, 'api-key', 'create', '--name', 'bench', '--grant', 'admin@*'], { env })).stdout,
  )[1];
  const started = await startChild(
    'reads-hub.mjs',
    [],
    env,
    process.env.BENCH_HUB_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
    {
      message: (m) => m?.url,
    },
  );
  children.push(started.child);
  const hub = {
    name: RESOLVERS ? 'PlantGraph (resolvers)' : 'PlantGraph',
    resolvers: RESOLVERS,
    url: `${started.url}/graphql`,
    child: started.child,
    meter: meterOf(started.child),
    headers: (body) => ({
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      authorization: `Bearer ${key}`,
    }),
  };
  db = new pg.Client({ connectionString: url });
  await db.connect();
  log('seeding through the hub API and by SQL');
  const plant = await seedPlant((q, v) => answer(hub, q, v), db, { lines: LINES, machines: MACHINES, orders: ORDERS });
  // PostGraphile names both ends of equipment.parent_id `equipmentByParentId`; name them as the hub does.
  await db.query(
    `comment on constraint equipment_parent_id_foreign on equipment is E'@fieldName parent\\n@foreignFieldName children'`,
  );
  // Where the history has no foreign key to its equipment (ADR 0055), PostGraphile is told of the relation.
  const { rowCount: keyed } = await db.query(
    `select 1 from pg_constraint where conname = 'equipment_state_change_equipment_id_foreign'`,
  );
  if (!keyed)
    await db.query(
      `comment on table equipment_state_change is E'@foreignKey (equipment_id) references equipment (id)'`,
    );
  const peerStarted = await startChild(
    'reads-postgraphile.mjs',
    [url.toString()],
    { ...env, GRAPHILE_ENV: 'production' },
    [],
    {
      stdout: (out) => /listening (\S+)/.exec(out)?.[1],
    },
  );
  children.push(peerStarted.child);
  const peer = {
    name: 'PostGraphile',
    url: peerStarted.url,
    child: peerStarted.child,
    meter: meterOf(peerStarted.child),
    headers: (body) => ({ 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
  };

  const rows = [];
  // BENCH_READS_SHAPES=2,3 runs only those shapes (1-based), e.g. to profile one.
  const only = process.env.BENCH_READS_SHAPES?.split(',').map((n) => SHAPES[Number(n) - 1]);
  for (const shape of only ?? SHAPES) {
    // Same answer from both, before anything is timed.
    const sample = shape.vars(plant);
    const a = JSON.stringify(await answer(hub, shape.hub, sample));
    const b = JSON.stringify(await answer(peer, shape.peer, sample));
    const paths = (s) =>
      (s.match(/"(path|number|at)":"[^"]*"/g) ?? []).map((x) => x.replace(/(\.\d+)?(Z|\+00:00)/, ''));
    if (JSON.stringify(paths(a)) !== JSON.stringify(paths(b)))
      throw new Error(`${shape.name}: the servers answer differently:\n${a.slice(0, 400)}\n${b.slice(0, 400)}`);
    const vars = () => shape.vars(plant);
    for (const server of [hub, peer]) await drive(server, server === hub ? shape.hub : shape.peer, vars, 2);
    const runs = { hub: [], peer: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [peer, hub] : [hub, peer];
      for (const server of order)
        runs[server === hub ? 'hub' : 'peer'].push(
          await drive(server, server === hub ? shape.hub : shape.peer, vars, SECONDS),
        );
    }
    const sum = (list) => {
      const latencies = list.flatMap((r) => r.latencies).sort((x, y) => x - y);
      const elapsed = list.reduce((s, r) => s + r.elapsed, 0);
      // CPU per request over all runs: each run's CPU seconds summed, over all its requests.
      const cpu = {};
      for (const group of ['server', 'postgres', 'runner']) {
        const used = list.reduce((s, r) => s + (r.cpu.perEvent[group].microsPerEvent * r.requests) / 1e6, 0);
        cpu[group] = { micros: (used * 1e6) / latencies.length, cores: used / elapsed };
      }
      return {
        cpu,
        rps: latencies.length / elapsed,
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
        failures: list.reduce((s, r) => s + r.failures, 0),
      };
    };
    const row = {
      shape,
      hub: { ...sum(runs.hub), statements: await statementsPerRequest(hub, shape.hub, vars) },
      peer: { ...sum(runs.peer), statements: await statementsPerRequest(peer, shape.peer, vars) },
      load: loadavg()[0],
    };
    rows.push(row);
    log(
      `${shape.name}: PlantGraph ${row.hub.rps.toFixed(0)}/s, PostGraphile ${row.peer.rps.toFixed(0)}/s, ` +
        `load ${row.load.toFixed(1)}`,
    );
  }
  report(rows, plant);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await db?.end().catch(() => {});
  await new Promise((r) => setTimeout(r, 1000));
  // BENCH_READS_KEEP_DATABASE=1 keeps the seeded database (e.g. to EXPLAIN a shape's statement); drop it by hand.
  if (process.env.BENCH_READS_KEEP_DATABASE) {
    log(`kept database ${name}`);
    await admin.end();
  } else await drop();
}

function report(rows, plant) {
  const cpu = cpus();
  const f0 = (n) => n.toFixed(0);
  const f1 = (n) => n.toFixed(1);
  const mark = (ok) => (ok ? '✓' : '✗');
  console.log(
    `\n### Reads: PlantGraph${RESOLVERS ? ' (resolvers only)' : ''} against PostGraphile 5 (${plant.summary}; ` +
      `${CONNECTIONS} connections, ` +
      `${ROUNDS} × ${SECONDS} s per server and shape, alternating; Node ${process.version}, ${cpu.length} × ` +
      `${cpu[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GB; ${new Date().toISOString().slice(0, 16)}Z)\n`,
  );
  console.log(
    '| shape | PlantGraph req/s | PostGraphile req/s | ratio (target ≥ 1.0×) | PlantGraph p50 / p99 ms ' +
      '(target p99 < 50 nested) | PostGraphile p50 / p99 ms | SQL statements per request, PlantGraph (target ≤ 3) ' +
      '| PostGraphile | failed requests | load average |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const { shape, hub, peer, load } of rows) {
    const ratio = hub.rps / peer.rps;
    console.log(
      `| ${shape.name} | ${f0(hub.rps)} | ${f0(peer.rps)} | ${ratio.toFixed(2)}× ${mark(ratio >= 1)} | ` +
        `${f1(hub.p50)} / ${f1(hub.p99)}${shape.nested ? ` ${mark(hub.p99 < 50)}` : ''} | ${f1(peer.p50)} / ${f1(peer.p99)} | ` +
        `${hub.statements} ${mark(hub.statements <= 3)} | ${peer.statements} | ${hub.failures} / ${peer.failures} | ${load.toFixed(1)} |`,
    );
  }
  // CPU per request carries over between differently loaded machines where requests/s and latency do not.
  console.log(
    '\n| shape | PlantGraph CPU µs/request: hub / PostgreSQL / runner (cores) ' +
      '| PostGraphile CPU µs/request: server / PostgreSQL / runner (cores) |',
  );
  console.log('|---|---|---|');
  const cpuOf = ({ cpu }) =>
    ['server', 'postgres', 'runner'].map((g) => f0(cpu[g].micros)).join(' / ') +
    ` (${['server', 'postgres', 'runner'].map((g) => cpu[g].cores.toFixed(2)).join(' / ')})`;
  for (const { shape, hub, peer } of rows) console.log(`| ${shape.name} | ${cpuOf(hub)} | ${cpuOf(peer)} |`);
}
