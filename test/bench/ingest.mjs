// `npm run bench:ingest` (and `npm run bench`): the machine-signal path end to end on this
// machine's PostgreSQL and NATS.
// A hub process, publisher processes, and (for latency) graphql-ws subscribers in this process.
// Phases (BENCH_PHASES, default all): `drain` publishes BENCH_DRAIN_EVENTS signals while the hub is
// stopped, then starts it and times how fast it drains the stream; `sustained` publishes
// BENCH_EVENTS signals as fast as BENCH_PUBLISHERS processes can (or at BENCH_SUSTAINED_RATE) while
// the hub stores them;
// `latency` runs BENCH_SUBSCRIBERS subscribers at BENCH_RATE events/s (`npm run bench:latency`).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Subjects } from '@plantgraph/hub';
import { freshBenchDatabase } from './bench-backing.mjs';
import { cpuMeter, cpuSeconds, endedChildrenCpuSeconds, formatLoad, pidsNamed, postgresPids } from './process-cpu.mjs';
import { measureLatency } from './latency.mjs';

const run = promisify(execFile);
// BENCH_CLI runs another build of the hub (e.g. the main branch's, for a before/after).
const CLI = process.env.BENCH_CLI ?? fileURLToPath(new URL('../../hub/dist/cli.js', import.meta.url));
const PUBLISHER = fileURLToPath(new URL('./publisher.mjs', import.meta.url));
const NATS_URL = process.env.PLANTGRAPH_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const MACHINES = Number(process.env.BENCH_MACHINES ?? 100);
const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 4);
const DRAIN_EVENTS = Number(process.env.BENCH_DRAIN_EVENTS ?? 100_000);
const SUSTAINED_EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
// The sustained phase's offered rate: 'max' (default) publishes as fast as the publishers go, a burst
// the hub stores behind; a number holds that rate, and how long after the publishers end the last signal
// is stored says whether the hub kept up with it.
const SUSTAINED_RATE = process.env.BENCH_SUSTAINED_RATE ?? 'max';
const PHASES = (process.env.BENCH_PHASES || 'drain,sustained,latency').split(',');
const TARGET = 25_000;
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
if (MACHINES % PUBLISHERS) throw new Error('BENCH_MACHINES must be a multiple of BENCH_PUBLISHERS.');

const { name, url, admin, drop } = await freshBenchDatabase();
const namespace = `bench${randomBytes(3).toString('hex')}`;
const env = {
  PATH: process.env.PATH,
  DATABASE_URL: url,
  NATS_URL,
  PLANTGRAPH_NATS_NAMESPACE: namespace,
  PLANTGRAPH_FLOWS: 'off',
  PLANTGRAPH_RATE_LIMIT_PER_SECOND: '100000',
  PLANTGRAPH_RATE_LIMIT_BURST: '100000',
  PLANTGRAPH_MAX_SUBSCRIPTIONS_PER_SOCKET: '10',
  PLANTGRAPH_OEE_UPDATE_INTERVAL_MS: '60000',
};

/**
 * Starts the hub (BENCH_HUB_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles it), up to three
 * times: on a machine loaded by others NATS may not answer within the start-up check of a build before
 * ADR 0057 (1.5 s; BENCH_CLI may name one, for A/B runs).
 */
async function startHub() {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startHubOnce();
    } catch (err) {
      if (attempt === 3) throw err;
      log(`the hub did not start (${err.message.split('\n')[0]}); starting it again`);
    }
  }
}

async function startHubOnce() {
  const child = spawn(process.execPath, [...(process.env.BENCH_HUB_NODE_ARGS?.split(' ') ?? []), CLI, 'start'], {
    env: { ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const hubUrl = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /ready at (\S+)/.exec(out);
      if (m && out.includes('stop with Ctrl-C')) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`hub exited ${code}: ${out}`)));
  });
  return { child, url: hubUrl };
}
const stopHub = async (h) => {
  if (!h || h.child.exitCode !== null) return;
  const exited = new Promise((r) => h.child.once('exit', r));
  h.child.kill('SIGTERM');
  await exited;
};

const publisherEnv = {
  ...env,
  ...Object.fromEntries(
    ['BENCH_PUBLISH_WINDOW', 'BENCH_PUBLISH_TICK_MS'].filter((k) => process.env[k]).map((k) => [k, process.env[k]]),
  ),
};

/**
 * Starts the publisher processes and waits until each has connected (their start-up, about a second of
 * CPU each, is then outside what is measured); `go()` has them send and resolves with their figures.
 */
async function preparePublishers(total, rate, source) {
  const publishers = Array.from({ length: PUBLISHERS }, (_, i) =>
    startPublisher([NATS_URL, namespace, String(MACHINES), String(total), String(PUBLISHERS), String(i), rate, source]),
  );
  await Promise.all(publishers.map((p) => p.ready));
  return {
    go: async () => {
      const started = performance.now();
      for (const p of publishers) p.go();
      const outs = await Promise.all(publishers.map((p) => p.done));
      const seconds = (performance.now() - started) / 1000;
      const published = outs.reduce((a, o) => a + o.published, 0);
      // The JetStream confirmation's round trip as each publisher saw it (the worst publisher's p50 and p99).
      const ackP50 = Math.max(...outs.map((o) => o.ackP50));
      const ackP99 = Math.max(...outs.map((o) => o.ackP99));
      return { published, seconds, rate: published / seconds, ackP50, ackP99 };
    },
  };
}

/** The publisher processes running now (for their CPU). */
const publisherPids = new Set();

/** One publisher process: `ready` once it has connected, `go()` starts it, `done` is its figures. */
function startPublisher(args) {
  const child = spawn(process.execPath, [PUBLISHER, ...args], {
    env: publisherEnv,
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  publisherPids.add(child.pid);
  child.once('exit', () => publisherPids.delete(child.pid));
  let out = '';
  let readyNow = () => {};
  const ready = new Promise((resolve) => (readyNow = resolve));
  child.stdout.on('data', (chunk) => {
    out += chunk;
    if (out.startsWith('ready\n')) readyNow();
  });
  const done = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      readyNow(); // a publisher that failed before it was ready must not hold the others
      if (code !== 0) return reject(new Error(`publisher ${args[5]} exited with code ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)));
    });
  });
  child.stdin.on('error', () => {}); // one that already died is reported by `done`
  return { ready, done, go: () => child.stdin.end('go\n') };
}

// The NATS server's CPU: every nats-server on the host, or BENCH_NATS_PID's alone (a private server
// for this bench, when others share the host's).
const natsPids = () => (process.env.BENCH_NATS_PID ? [Number(process.env.BENCH_NATS_PID)] : pidsNamed('nats-server'));
let hub;
const rows = [];
const row = (measure, result, target = '—') => rows.push([measure, result, target]);
const fmt = (n) => Math.round(n).toLocaleString('en-US');
try {
  log(`database ${name}, NATS namespace ${namespace}`);
  await run(process.execPath, [CLI, 'migrate'], { env });
  const key = /\n(pgk_\S+)/.exec(
    (await run(process.execPath, [CLI, 'api-key', 'create', '--name', 'bench', '--grant', 'admin@*'], { env })).stdout,
  )[1];
  hub = await startHub();
  const gql = async (query, variables) => {
    const res = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await res.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  log(`hub at ${hub.url}; creating ${MACHINES} machines`);
  const create = 'mutation ($i: CreateEquipmentInput!) { createEquipment(input: $i) { __typename } }';
  for (const [parent, code, level] of [
    [null, 'bench', 'Enterprise'],
    ['bench', 'site', 'Site'],
    ['bench/site', 'area', 'Area'],
    ['bench/site/area', 'line', 'ProductionLine'],
  ])
    await gql(create, { i: { parentPath: parent, code, name: code, level } });
  for (let i = 0; i < MACHINES; i++)
    await gql(create, { i: { parentPath: 'bench/site/area/line', code: `m${i}`, name: `m${i}`, level: 'WorkCell' } });
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const storedOf = async (source) =>
    Number(
      (await db.query('select count(*)::int as n from equipment_state_change where source = $1', [source])).rows[0].n,
    );
  // Progress read cheaply while a phase runs: every stored state change numbers one event in the outbox
  // (each signal here changes its machine's state), so the outbox head's sequence gauges how many are
  // stored, and the rows are counted only once it says all may be there. Counting them every 50 ms
  // (`count(*)`, fetching rows not yet all-visible) took about a sixth of a core, from the hub's share,
  // and showed in PostgreSQL's CPU per event (this connection is one of the bench database's backends).
  const outboxHead = async () =>
    Number((await db.query('select last_seq from event_outbox_head where id = 1')).rows[0].last_seq);
  const storedGauge = async (source) => {
    const base = await outboxHead();
    let counted = false;
    return {
      /** Stored signals of `source`: the gauge until it reaches `expected`, then the rows themselves. */
      read: async (expected) => {
        const gauged = (await outboxHead()) - base;
        if (gauged < expected && !counted) return gauged;
        counted = true; // the gauge also counts other events: count from here on
        return storedOf(source);
      },
    };
  };
  // The publishers end once JetStream has confirmed their last signal: a hub that keeps up has stored
  // it by then (up to the time they take to report), one that is behind stores it later.
  const storedAfter = (lag) =>
    lag > 0 ? `the last stored ${lag.toFixed(2)} s after the publishers ended` : 'all stored when the publishers ended';
  const check = async (source, expected) => {
    const [{ n, d }] = (
      await db.query(
        `select count(*)::int as n, count(distinct sequence)::int as d from equipment_state_change where source = $1`,
        [source],
      )
    ).rows;
    return `${expected - d} lost, ${n - d} duplicated (of ${fmt(expected)})`;
  };
  const meter = () =>
    cpuMeter({
      hub: () => [hub.child.pid],
      postgres: () => postgresPids(admin, name),
      nats: natsPids,
    });
  const cpuRow = (label, m, events) =>
    row(
      `${label}: CPU per event`,
      `hub ${m.perEvent.hub.microsPerEvent.toFixed(0)} µs (${m.perEvent.hub.cores.toFixed(2)} cores), ` +
        `PostgreSQL ${m.perEvent.postgres.microsPerEvent.toFixed(0)} µs (${m.perEvent.postgres.cores.toFixed(2)}), ` +
        `NATS ${m.perEvent.nats.microsPerEvent.toFixed(0)} µs (${m.perEvent.nats.cores.toFixed(2)}); ` +
        `load ${formatLoad(m.load[0])} → ${formatLoad(m.load[1])}; ${fmt(events)} events`,
    );

  if (PHASES.includes('drain')) {
    // 1. Pre-loaded drain: the stream holds every signal before the hub's consumer starts.
    await stopHub(hub);
    log(`drain: publishing ${DRAIN_EVENTS} signals with the hub stopped (${PUBLISHERS} publishers)`);
    const stored = await storedGauge('drain');
    const pub = await (await preparePublishers(DRAIN_EVENTS, 'max', 'drain')).go();
    row(
      'publishers alone (hub stopped)',
      `${fmt(pub.rate)} events/s (${fmt(pub.published)} in ${pub.seconds.toFixed(1)} s)`,
      `> ${fmt(TARGET)}`,
    );
    hub = await startHub();
    let count = await stored.read(DRAIN_EVENTS);
    for (let i = 0; i < 20_000 && count <= 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
      count = await stored.read(DRAIN_EVENTS);
    }
    const m = meter();
    await m.start();
    const from = count;
    const t0 = performance.now();
    while (count < DRAIN_EVENTS && performance.now() - t0 < 600_000) {
      await new Promise((r) => setTimeout(r, 50));
      count = await stored.read(DRAIN_EVENTS);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = await m.stop(count - from);
    row(
      'hub drain rate (pre-loaded stream)',
      `${fmt((count - from) / seconds)} events/s (${fmt(count - from)} in ${seconds.toFixed(1)} s)`,
      `≥ ${fmt(TARGET)}`,
    );
    cpuRow('drain', cpu, count - from);
    row('drain: loss / duplicates', await check('drain', DRAIN_EVENTS), '0 / 0');
  }

  if (PHASES.includes('sustained')) {
    // 2. End to end: publishers and hub at once, as fast as the publishers go or at a set rate.
    const offered = SUSTAINED_RATE === 'max' ? 'as fast as they go' : `at ${fmt(Number(SUSTAINED_RATE))}/s`;
    log(`sustained: ${SUSTAINED_EVENTS} signals from ${PUBLISHERS} publishers ${offered} while the hub stores them`);
    const publishers = await preparePublishers(SUSTAINED_EVENTS, SUSTAINED_RATE, 'tp');
    const stored = await storedGauge('tp');
    const m = meter();
    await m.start();
    const t0 = performance.now();
    const publishing = publishers.go();
    let count = await stored.read(SUSTAINED_EVENTS);
    while (count < SUSTAINED_EVENTS && performance.now() - t0 < 600_000) {
      await new Promise((r) => setTimeout(r, 50));
      count = await stored.read(SUSTAINED_EVENTS);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = await m.stop(count);
    const pub = await publishing;
    row(
      'publishers while the hub stores',
      `${fmt(pub.rate)} events/s (${fmt(pub.published)} in ${pub.seconds.toFixed(1)} s)`,
    );
    const paced = SUSTAINED_RATE === 'max' ? '' : `, ${fmt(Number(SUSTAINED_RATE))}/s offered`;
    row(
      `end to end, sustained (publish → stored${paced})`,
      `${fmt(count / seconds)} events/s (${fmt(count)} in ${seconds.toFixed(1)} s; ` +
        `${storedAfter(seconds - pub.seconds)})`,
      `≥ ${fmt(TARGET)}`,
    );
    cpuRow('sustained', cpu, count);
    row('sustained: loss / duplicates', await check('tp', SUSTAINED_EVENTS), '0 / 0');
  }

  if (PHASES.includes('latency')) {
    const latencyMeter = cpuMeter({
      hub: () => [hub.child.pid],
      postgres: () => postgresPids(admin, name),
      nats: natsPids,
      subscribers: () => [process.pid],
      // The publisher processes end before the meter stops: those alive read from /proc, ended ones
      // from the children's total; their start-up before the meter's start is left out.
      publishers: {
        cpuSeconds: () => endedChildrenCpuSeconds() + [...publisherPids].reduce((a, pid) => a + cpuSeconds(pid), 0),
      },
    });
    const l = await measureLatency({
      hubUrl: hub.url,
      key,
      machines: MACHINES,
      storedOf,
      preparePublishers,
      log,
      meter: latencyMeter,
    });
    row(
      'latency run',
      `${fmt(l.total)} events at ${fmt(l.rate)}/s, stored in ${l.seconds.toFixed(1)} s; load ${formatLoad(l.load)}`,
    );
    row(
      'publish → subscriber latency',
      `p50 ${l.p50} ms, p99 ${l.p99} ms over ${fmt(l.deliveries)} deliveries to ${fmt(l.subscribers)} subscribers` +
        (l.errors ? `; ${l.errors} subscriber errors` : ''),
      'p99 ≤ 25 ms',
    );
    row('latency: deliveries lost / out of order', `${fmt(l.lost)} / ${fmt(l.outOfOrder)}`, '0 / 0');
    row('latency: p99 by second of publishing', `${l.bySecond.join(' · ')} ms`);
    const c = l.cpu.perEvent;
    row(
      'latency: CPU per delivered message',
      `hub ${c.hub.microsPerEvent.toFixed(1)} µs (${c.hub.cores.toFixed(2)} cores), ` +
        `PostgreSQL ${c.postgres.microsPerEvent.toFixed(1)} µs (${c.postgres.cores.toFixed(2)}), ` +
        `NATS ${c.nats.microsPerEvent.toFixed(1)} µs (${c.nats.cores.toFixed(2)}), ` +
        `subscribers' process ${c.subscribers.microsPerEvent.toFixed(1)} µs (${c.subscribers.cores.toFixed(2)}), ` +
        `publishers ${c.publishers.microsPerEvent.toFixed(1)} µs (${c.publishers.cores.toFixed(2)}); ` +
        `load ${formatLoad(l.cpu.load[0])} → ${formatLoad(l.cpu.load[1])}`,
    );
    row('latency: JetStream confirmation of a publish', `p50 ${l.ackP50} ms, p99 ${l.ackP99} ms (worst publisher)`);
    row('latency: hub /healthz round trip meanwhile', `p50 ${l.health.p50} ms, p99 ${l.health.p99} ms`);
  }
  const rss = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${hub.child.pid}/status`, 'utf8'))[1]) / 1024;
  row('hub RSS after the run', `${rss.toFixed(0)} MB`);
  await db.end();

  const machine = `${cpus().length} × ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`;
  console.log(`\n${new Date().toISOString()} — ${machine}; load average now ${formatLoad(loadavg())}`);
  console.log('\n| measure | result | target |\n|---|---|---|');
  for (const [k, v, t] of rows) console.log(`| ${k} | ${v} | ${t} |`);
} finally {
  await stopHub(hub);
  await drop();
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const subjects = new Subjects(namespace);
  for (const s of [subjects.signalStream.name, subjects.eventStream.name]) await jsm.streams.delete(s).catch(() => {});
  await nc.close();
}
