// `npm run bench`: the machine-signal path end to end on this machine's PostgreSQL and NATS.
// A hub process, a publisher process, and (for latency) graphql-ws subscribers in this process.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { createClient } from 'graphql-ws';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Subjects } from '@plantgraph/hub';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../hub/dist/cli.js', import.meta.url));
const PUBLISHER = fileURLToPath(new URL('./publisher.mjs', import.meta.url));
const ADMIN_URL = process.env.PLANTGRAPH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_URL = process.env.PLANTGRAPH_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const MACHINES = Number(process.env.BENCH_MACHINES ?? 100);
const THROUGHPUT_EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const LATENCY_RATE = Number(process.env.BENCH_RATE ?? 5_000);
const LATENCY_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

const name = `plantgraph_bench_${randomBytes(3).toString('hex')}`;
const namespace = `bench${randomBytes(3).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`create database ${name}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
const env = {
  PATH: process.env.PATH,
  DATABASE_URL: url.toString(),
  NATS_URL,
  PLANTGRAPH_NATS_NAMESPACE: namespace,
  PLANTGRAPH_RATE_LIMIT_PER_SECOND: '100000',
  PLANTGRAPH_RATE_LIMIT_BURST: '100000',
  PLANTGRAPH_MAX_SUBSCRIPTIONS_PER_SOCKET: '10',
  PLANTGRAPH_OEE_UPDATE_INTERVAL_MS: '60000',
};
let hub;
try {
  log(`database ${name}, NATS namespace ${namespace}`);
  await run(process.execPath, [CLI, 'migrate'], { env });
  const key = /\n(pgk_\S+)/.exec(
    (await run(process.execPath, [CLI, 'api-key', 'create', '--name', 'bench', '--grant', 'admin@*'], { env })).stdout,
  )[1];
  // BENCH_HUB_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the hub.
  hub = spawn(process.execPath, [...(process.env.BENCH_HUB_NODE_ARGS?.split(' ') ?? []), CLI, 'start'], {
    env: { ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const hubUrl = await new Promise((resolve, reject) => {
    let out = '';
    hub.stdout.on('data', (c) => {
      out += c;
      const m = /ready at (\S+)/.exec(out);
      if (m && out.includes('stop with Ctrl-C')) resolve(m[1]);
    });
    hub.once('exit', (code) => reject(new Error(`hub exited ${code}: ${out}`)));
  });
  const gql = async (query, variables) => {
    const res = await fetch(`${hubUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await res.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  log(`hub at ${hubUrl}; creating ${MACHINES} machines`);
  for (const [parent, code, level] of [
    [null, 'bench', 'Enterprise'],
    ['bench', 'site', 'Site'],
    ['bench/site', 'area', 'Area'],
    ['bench/site/area', 'line', 'ProductionLine'],
  ]) {
    await gql('mutation ($i: CreateEquipmentInput!) { createEquipment(input: $i) { __typename } }', {
      i: { parentPath: parent, code, name: code, level },
    });
  }
  for (let i = 0; i < MACHINES; i++)
    await gql('mutation ($i: CreateEquipmentInput!) { createEquipment(input: $i) { __typename } }', {
      i: { parentPath: 'bench/site/area/line', code: `m${i}`, name: `m${i}`, level: 'WorkCell' },
    });
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  const stored = async () => Number((await db.query('select count(*) as n from equipment_state_change')).rows[0].n);

  // 1. Sustained throughput, no subscribers: everything published, everything stored once.
  log(`throughput: ${THROUGHPUT_EVENTS} state signals as fast as the publisher can send`);
  const t0 = performance.now();
  const publisher = run(
    process.execPath,
    [PUBLISHER, NATS_URL, namespace, String(MACHINES), String(THROUGHPUT_EVENTS), 'max', 'tp'],
    { env, cwd: fileURLToPath(new URL('.', import.meta.url)) },
  );
  let count = await stored();
  while (count < THROUGHPUT_EVENTS && performance.now() - t0 < 600_000) {
    await new Promise((r) => setTimeout(r, 250));
    count = await stored();
  }
  const ingestSeconds = (performance.now() - t0) / 1000;
  const published = JSON.parse((await publisher).stdout);
  const [{ n, d }] = (
    await db.query(
      'select count(*)::int as n, count(distinct (source, sequence))::int as d from equipment_state_change',
    )
  ).rows;

  // 2. Latency with subscribers at a steady rate.
  log(
    `latency: ${SUBSCRIBERS} graphql-ws subscribers (each on one machine), ${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s`,
  );
  const latencies = [];
  const errors = [];
  const clients = [];
  for (let s = 0; s < SUBSCRIBERS; s += 10) {
    const client = createClient({
      url: `${hubUrl.replace('http', 'ws')}/graphql`,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
      lazy: false,
    });
    clients.push(client);
    for (let k = s; k < Math.min(s + 10, SUBSCRIBERS); k++) {
      client.subscribe(
        { query: `subscription { equipmentStateChanged(scope: "bench/site/area/line/m${k % MACHINES}") { at } }` },
        {
          next: (v) =>
            v.errors
              ? errors.push(v.errors[0].message)
              : latencies.push(Date.now() - new Date(v.data.equipmentStateChanged.at).getTime()),
          error: (e) => errors.push(String(e?.message ?? e?.reason ?? JSON.stringify(e))),
          complete: () => {},
        },
      );
    }
  }
  await new Promise((r) => setTimeout(r, 3000));
  const before = await stored();
  const total = LATENCY_RATE * LATENCY_SECONDS;
  const l0 = performance.now();
  await run(
    process.execPath,
    [PUBLISHER, NATS_URL, namespace, String(MACHINES), String(total), String(LATENCY_RATE), 'lat'],
    { env, cwd: fileURLToPath(new URL('.', import.meta.url)) },
  );
  while ((await stored()) < before + total && performance.now() - l0 < 300_000)
    await new Promise((r) => setTimeout(r, 250));
  const latencySeconds = (performance.now() - l0) / 1000;
  await new Promise((r) => setTimeout(r, 1000));
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : NaN;
  const rss =
    Number(
      /VmRSS:\s+(\d+)/.exec(await (await import('node:fs/promises')).readFile(`/proc/${hub.pid}/status`, 'utf8'))[1],
    ) / 1024;
  if (errors.length) log(`subscriber errors: ${errors.length}, first: ${errors[0]}`);
  for (const c of clients) await c.dispose();
  await db.end();

  const rows = [
    [
      'machine',
      `${cpus().length} × ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`,
    ],
    [
      'throughput: events published',
      `${published.published} in ${published.seconds.toFixed(1)} s (${(published.published / published.seconds).toFixed(0)}/s at the publisher)`,
    ],
    [
      'throughput: stored, sustained',
      `${n} in ${ingestSeconds.toFixed(1)} s = ${(n / ingestSeconds).toFixed(0)} events/s (target 25,000)`,
    ],
    ['loss / duplicates', `${THROUGHPUT_EVENTS - d} lost, ${n - d} duplicated`],
    ['latency run', `${total} events at ${LATENCY_RATE}/s, stored in ${latencySeconds.toFixed(1)} s`],
    [
      'event → subscriber latency',
      `p50 ${pct(50)} ms, p99 ${pct(99)} ms over ${latencies.length} deliveries to ${SUBSCRIBERS} subscribers (target p99 ≤ 25 ms)`,
    ],
    ['hub RSS after the run', `${rss.toFixed(0)} MB`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n| ${'measure'.padEnd(width)} | result |\n|${'-'.repeat(width + 2)}|--------|`);
  for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
} finally {
  hub?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
  await admin.end();
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const subjects = new Subjects(namespace);
  for (const s of [subjects.signalStream.name, subjects.eventStream.name]) await jsm.streams.delete(s).catch(() => {});
  await nc.close();
}
