// `npm run bench:opcua`: monitored-item changes per second from the OPC UA machine simulator (a process
// of its own) through the OPC UA connector (in the hub's process, as the hub runs it) into stored
// process values. BENCH_OPCUA_CHANGES changes (default 100,000) at BENCH_OPCUA_RATE per second
// (default 25,000) over BENCH_OPCUA_MACHINES variables (default 100), on BENCH_MODES (default
// postgres+nats). Prints the rate beside the target (≥ 20,000/s on 2 cores), CPU per change of the
// hub (with the connector) and of the simulator, and the load average. First the connector alone
// (a hub stand-in that takes each batch at once; BENCH_OPCUA_ALONE=0 skips it), then through a real
// hub. BENCH_PROFILE=<dir> writes a CPU profile of the hub's process.
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg } from 'node:os';
import { startConnectorBenchHub } from './bench-hub.mjs';
import { cpuMeter, cpuSeconds, pidsNamed, postgresPids } from './process-cpu.mjs';
import { opcUaConnector } from '@plantgraph/connector-opcua';

const CHANGES = Number(process.env.BENCH_OPCUA_CHANGES ?? 100_000);
const RATE = Number(process.env.BENCH_OPCUA_RATE ?? 25_000);
const MACHINES = Number(process.env.BENCH_OPCUA_MACHINES ?? 100);
const MODES = (process.env.BENCH_MODES || 'postgres+nats').split(',');
const PROFILE = process.env.BENCH_PROFILE;
const TARGET = 20_000;
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startSimulator() {
  const child = fork(new URL('./opcua-simulator-process.mjs', import.meta.url), {
    env: { ...process.env, OPCUA_SIM_MACHINES: String(MACHINES) },
    execArgv: [],
  });
  const pending = new Map();
  let next = 0;
  const url = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the simulator process exited (${code})`)));
    child.on('message', (m) => {
      if (m.ready) return resolve(m.ready);
      pending.get(m.id)?.(m.result);
      pending.delete(m.id);
    });
  });
  const call = (name, ...args) =>
    new Promise((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      child.send({ id, call: name, args });
    });
  return { url, pid: child.pid, run: (o) => call('run', o), close: () => call('close') };
}

function startBenchHub(mode) {
  return startConnectorBenchHub(mode, opcUaConnector, { relayIntervalMs: 100 });
}

async function bench(mode) {
  const sim = await startSimulator();
  const { hub, gql, stop } = await startBenchHub(mode);
  const em = () => hub.db.em.fork();
  try {
    const paths = (
      await em().execute(`select path from equipment where path like 'acme/berlin/%/%/%' order by path`)
    ).map((r) => r.path);
    const mapping = {
      equipment: paths
        .map((path, p) => ({
          path,
          values: Array.from({ length: MACHINES }, (_, i) => i)
            .filter((i) => i % paths.length === p)
            .map((i) => ({ nodeId: `ns=1;s=m${i}.Temperature`, name: `temperature-${i}`, unit: 'degC' })),
        }))
        .filter((e) => e.values.length),
    };
    const { configureConnector } = await gql(
      `mutation ($i: ConfigureConnectorInput!) { configureConnector(input: $i) { __typename ... on ErrorResult { message } } }`,
      {
        i: {
          name: 'bench',
          type: 'opcua',
          scope: 'acme/berlin',
          enabled: true,
          grants: [{ role: 'Maintenance', scope: 'acme/berlin' }],
          settings: {
            endpointUrl: sim.url,
            publishingIntervalMs: 100,
            samplingIntervalMs: 0,
            queueSize: 10_000,
            mapping,
          },
        },
      },
    );
    if (configureConnector.__typename !== 'ConnectorInstance') throw new Error(configureConnector.message);
    const count = async () =>
      Number((await em().execute(`select count(*) as n from process_value where source like 'opcua:bench:%'`))[0].n);
    const health = async () =>
      (await gql('{ connector(name: "bench") { streamHealth { connected buffered dropped } } }')).connector
        .streamHealth?.[0];
    for (let i = 0; i < 600 && (await count()) < MACHINES; i++) await sleep(100); // the initial values
    const base = await count();
    log(`${mode}: ${MACHINES} monitored items on ${paths.length} machines, ${base} initial values stored`);

    const session = PROFILE ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const load = loadavg()[0];
    // PostgreSQL's backends of the bench's database (and the WAL writer) and the NATS server.
    const backing = mode === 'postgres+nats' ? await backingMeter(em) : null;
    await backing?.start();
    const cpu0 = { hub: process.cpuUsage(), sim: cpuSeconds(sim.pid) };
    const t0 = performance.now();
    const emitted = await sim.run({ changes: CHANGES, rate: RATE });
    const tEmitted = performance.now();
    let stored = 0;
    let forwardedAt = null;
    const deadline = tEmitted + 300_000;
    while (performance.now() < deadline) {
      stored = (await count()) - base;
      if (forwardedAt === null && (await health())?.buffered === 0) forwardedAt = performance.now();
      if (stored >= emitted.emitted) break;
      await sleep(100);
    }
    const tStored = performance.now();
    const hubCpu = process.cpuUsage(cpu0.hub);
    const simCpu = cpuSeconds(sim.pid) - cpu0.sim;
    const backingCpu = await backing?.stop(Math.max(1, stored));
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(PROFILE, { recursive: true });
      writeFileSync(`${PROFILE}/opcua-${mode}.cpuprofile`, JSON.stringify(profile));
      session.disconnect();
    }
    const h = await health();
    const rate = (stored / (tStored - t0)) * 1000;
    const emitRate = (emitted.emitted / emitted.ms) * 1000;
    const perChange = (s) => `${((s / Math.max(1, stored)) * 1e6).toFixed(1)} µs`;
    console.log(
      `\nOPC UA, ${mode} (${cpus().length} cores, load average ${load.toFixed(1)} → ${loadavg()[0].toFixed(1)})`,
    );
    console.log(
      `  simulator emitted            ${emitted.emitted} changes at ${emitRate.toFixed(0)}/s (asked ${RATE}/s)`,
    );
    console.log(
      `  connector forwarded all      ${forwardedAt ? `${((forwardedAt - t0) / 1000).toFixed(1)} s after the first change` : 'not within the bound'}`,
    );
    console.log(
      `  stored                       ${stored} of ${emitted.emitted} (dropped by the buffer: ${h?.dropped ?? '?'})`,
    );
    console.log(
      `  changes/s, simulator → stored ${rate.toFixed(0).padStart(8)}   target ≥ ${TARGET}  ${rate >= TARGET ? 'met' : 'NOT met'}`,
    );
    console.log(
      `  CPU per change: hub process (hub + connector) ${perChange((hubCpu.user + hubCpu.system) / 1e6)}, simulator ${perChange(simCpu)}`,
    );
    if (backingCpu)
      console.log(
        `  CPU per change: PostgreSQL ${backingCpu.perEvent.postgres.microsPerEvent.toFixed(1)} µs, ` +
          `NATS ${backingCpu.perEvent.nats.microsPerEvent.toFixed(1)} µs (the shared server: other clients' work included)`,
      );
  } finally {
    await stop();
    await sim.close();
  }
}

/** A CPU meter over the bench database's PostgreSQL backends and the NATS server. */
async function backingMeter(em) {
  const [{ db }] = await em().execute('select current_database() as db');
  const client = { query: async (sql, params) => ({ rows: await em().execute(sql.replace(/\$\d+/g, '?'), params) }) };
  // The shared server of PLANTGRAPH_TEST_NATS_URL, not other sessions' private ones.
  const port = new URL(process.env.PLANTGRAPH_TEST_NATS_URL ?? 'nats://127.0.0.1:4222').port || '4222';
  const shared = () =>
    pidsNamed('nats-server').filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(port));
  return cpuMeter({ postgres: () => postgresPids(client, db), nats: shared });
}

/**
 * The connector alone: the same changes through node-opcua's client, the mapping and the batching
 * into a hub stand-in that takes each batch at once, so the connector's own ceiling shows.
 */
async function connectorAlone() {
  const sim = await startSimulator();
  let received = 0;
  const memory = new Map();
  const runtime = opcUaConnector.create({
    name: 'bench',
    log: { log: () => {}, warn: (m) => log(m) },
    store: { get: async (k) => memory.get(k) ?? null, set: async (k, v) => void memory.set(k, v) },
    hub: {
      graphql: async (_q, v) => {
        received += v.s.length;
        return { data: { publishSignals: { __typename: 'SignalsPublished', accepted: v.s.length } } };
      },
    },
    settings: {
      endpointUrl: sim.url,
      securityMode: 'None',
      securityPolicy: 'None',
      publishingIntervalMs: 100,
      samplingIntervalMs: 0,
      queueSize: 10_000,
      bufferLimit: 1_000_000,
      batchSize: 1000,
      timeoutMs: 10_000,
      mapping: {
        equipment: [
          {
            path: 'acme/berlin/assembly/line-1/press-1',
            values: Array.from({ length: MACHINES }, (_, i) => ({ nodeId: `ns=1;s=m${i}.Temperature`, name: `t${i}` })),
          },
        ],
      },
    },
  });
  const handle = await runtime.streams.machine.open((e) => log(`lost: ${e.message}`));
  try {
    for (let i = 0; i < 100 && received < MACHINES; i++) await sleep(100);
    const base = received;
    const load = loadavg()[0];
    const cpu0 = { self: process.cpuUsage(), sim: cpuSeconds(sim.pid) };
    const t0 = performance.now();
    const emitted = await sim.run({ changes: CHANGES, rate: RATE });
    for (let i = 0; i < 600 && received - base < emitted.emitted; i++) await sleep(50);
    const t = performance.now() - t0;
    const got = received - base;
    const cpu = process.cpuUsage(cpu0.self);
    const rate = (got / t) * 1000;
    console.log(
      `\nOPC UA, the connector alone (hub stand-in; load average ${load.toFixed(1)} → ${loadavg()[0].toFixed(1)})`,
    );
    console.log(
      `  changes/s, simulator → connector → batches ${rate.toFixed(0).padStart(8)}   target ≥ ${TARGET}  ${rate >= TARGET ? 'met' : 'NOT met'}`,
    );
    console.log(
      `  received ${got} of ${emitted.emitted}; CPU per change: connector ${((cpu.user + cpu.system) / got).toFixed(1)} µs, simulator ${(((cpuSeconds(sim.pid) - cpu0.sim) / got) * 1e6).toFixed(1)} µs`,
    );
  } finally {
    await handle.close();
    await runtime.close();
    await sim.close();
  }
}

if (process.env.BENCH_OPCUA_ALONE !== '0') await connectorAlone();
for (const mode of MODES) await bench(mode);
process.exit(0);
