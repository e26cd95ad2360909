// `npm run bench:sparkplug`: Sparkplug B DDATA metric changes per second from an edge node (a process
// of its own, sparkplug-edge.mjs) through the local Mosquitto and the Sparkplug connector into stored
// signals, embedded and on PostgreSQL + NATS, beside the target of 20,000 changes/s. Where the time
// goes: the connector's own work (decode and map, no hub) and the hub's publishSignals alone (batches
// of 1000 process values, no MQTT) are measured apart. The node is kept at most BENCH_WINDOW changes
// ahead of what is stored, so no broker queue overflows and the figure is what the chain sustains.
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { startConnectorBenchHub } from './bench-hub.mjs';
import {
  DataType,
  loadCodec,
  SignalMapper,
  SparkplugHost,
  sparkplugConnector,
  validateMapping,
} from '@plantgraph/connector-sparkplug';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 200_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 20_000);
const METRICS = Number(process.env.BENCH_METRICS ?? 50);
const MODES = (process.env.BENCH_MODES || 'embedded,postgres+nats').split(',');
const BROKER = process.env.BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const TARGET = 20_000;
const LINE = 'acme/berlin/assembly/line-1';
const DEVICES = {
  press: `${LINE}/press-1`,
  press2: `${LINE}/press-2`,
  robot: `${LINE}/robot-1`,
  welder: `${LINE}/welder-1`,
};
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const mappingFor = (group) => ({
  devices: Object.fromEntries(
    Object.entries(DEVICES).map(([d, equipment]) => [
      `${group}/bench/${d}`,
      {
        equipment,
        metrics: Object.fromEntries(
          Array.from({ length: METRICS }, (_, i) => [`v${i}`, { signal: 'value', name: `v${i}`, unit: 'bar' }]),
        ),
      },
    ]),
  ),
});

function startBenchHub(mode) {
  return startConnectorBenchHub(mode, sparkplugConnector);
}

const stored = async (gql) => (await gql('{ signalIngest { stored } }')).signalIngest.stored;

/** End to end: node -> Mosquitto -> connector -> publishSignals -> stored. */
async function endToEnd(mode) {
  const { gql, stop } = await startBenchHub(mode);
  const group = `bench${randomBytes(3).toString('hex')}`;
  const hostId = `bench-host-${group}`;
  const name = `bench-${group}`;
  const r = await gql(
    `mutation ($i: ConfigureConnectorInput!) { configureConnector(input: $i) { __typename ... on ErrorResult { message } } }`,
    {
      i: {
        name,
        type: 'sparkplug',
        scope: 'acme/berlin',
        settings: { brokerUrl: BROKER, hostId, mapping: mappingFor(group) },
        grants: [{ role: 'Maintenance', scope: 'acme/berlin' }],
        enabled: true,
      },
    },
  );
  if (r.configureConnector.__typename !== 'ConnectorInstance') throw new Error(JSON.stringify(r));
  const devices = Object.keys(DEVICES);
  const child = fork(new URL('./sparkplug-edge.mjs', import.meta.url), [
    JSON.stringify({ brokerUrl: BROKER, group, hostId, devices, metrics: METRICS }),
  ]);
  const messages = [];
  child.on('message', (m) => messages.push(m));
  for (let i = 0; i < 600 && !messages.some((m) => m.born); i++) await sleep(50);
  if (!messages.some((m) => m.born)) throw new Error('the edge node was not born');
  // The births' first values (one per metric) are stored before the clock starts.
  const births = devices.length * METRICS;
  const start0 = await stored(gql);
  for (let i = 0; i < 400 && (await stored(gql)) < start0 + births; i++) await sleep(50);
  const base = await stored(gql);
  const perMessage = METRICS;
  let published = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let done = base;
  while (done < base + CHANGES) {
    if (published < CHANGES && published - (done - base) < WINDOW) {
      const n = Math.min(20, Math.ceil((CHANGES - published) / perMessage));
      child.send({ publish: n });
      published += n * perMessage;
    } else await sleep(10);
    done = await stored(gql);
    if (performance.now() - started > 300_000) throw new Error(`stalled: ${done - base} of ${CHANGES} stored`);
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu0);
  // The hub, its connector and the bench's own polling share this process.
  const hubMicros = (used.user + used.system) / (done - base);
  await gql('mutation ($n: String!) { testConnector(name: $n) { __typename } }', { n: name });
  const { connector } = await gql('query ($n: String!) { connector(name: $n) { health healthMessage } }', { n: name });
  child.send({ close: true });
  await new Promise((r) => child.once('exit', r));
  await stop();
  return { rate: Math.round(CHANGES / seconds), seconds, hubMicros, health: connector.healthMessage };
}

/** The connector's own work: decode DDATA and map its metrics to signals, no broker, no hub. */
async function decodeAndMap() {
  const codec = await loadCodec();
  const group = 'cpu';
  const result = validateMapping(mappingFor(group));
  const mapper = new SignalMapper('spB:cpu');
  const host = new SparkplugHost({ mapping: result.mapping, mapper, command: () => {}, rebirthIntervalMs: 1000 });
  const out = [];
  const metric = (i, v, alias) => ({
    name: alias ? undefined : `v${i}`,
    alias: i + 1,
    datatype: DataType.Double,
    value: v,
    timestamp: Date.now(),
  });
  host.handle(`spBv1.0/${group}/NBIRTH/bench`, codec.decode(codec.encode({ seq: 0, metrics: [] })), out);
  host.handle(
    `spBv1.0/${group}/DBIRTH/bench/press`,
    codec.decode(codec.encode({ seq: 1, metrics: Array.from({ length: METRICS }, (_, i) => metric(i, 0, false)) })),
    out,
  );
  const payloads = Array.from({ length: 256 }, (_, s) =>
    codec.encode({
      seq: (s + 2) % 256,
      timestamp: Date.now(),
      metrics: Array.from({ length: METRICS }, (_, i) => metric(i, s + i, true)),
    }),
  );
  const n = 4000;
  const started = performance.now();
  for (let k = 0; k < n; k++) {
    out.length = 0;
    host.handle(`spBv1.0/${group}/DDATA/bench/press`, codec.decode(payloads[k % 256]), out);
  }
  return Math.round((n * METRICS) / ((performance.now() - started) / 1000));
}

/** The hub alone: publishSignals with batches of 1000 process values, one call at a time, as the connector sends. */
async function hubAlone(mode) {
  const { gql, stop } = await startBenchHub(mode);
  const paths = Object.values(DEVICES);
  const n = Math.min(CHANGES, 100_000);
  let sequence = Date.now() * 1000;
  const base = await stored(gql);
  const started = performance.now();
  for (let sent = 0; sent < n; sent += 1000) {
    const at = new Date().toISOString();
    const s = Array.from({ length: 1000 }, (_, i) => ({
      kind: 'Value',
      path: paths[i % paths.length],
      source: `bench-${i % 200}`,
      sequence: sequence++,
      at,
      name: `v${i % 50}`,
      value: i,
      unit: 'bar',
    }));
    await gql('mutation ($s: [EquipmentSignalInput!]!) { publishSignals(signals: $s) { __typename } }', { s });
  }
  for (let i = 0; i < 600 && (await stored(gql)) < base + n; i++) await sleep(50);
  const seconds = (performance.now() - started) / 1000;
  await stop();
  return Math.round(n / seconds);
}

const rows = [];
const cpu = await decodeAndMap();
log(`decode + map (connector only): ${cpu} metric changes/s`);
for (const mode of MODES) {
  const alone = await hubAlone(mode);
  log(`${mode}: hub publishSignals alone ${alone} signals/s`);
  const e2e = await endToEnd(mode);
  log(`${mode}: end to end ${e2e.rate} changes/s (${CHANGES} in ${e2e.seconds.toFixed(1)} s); health: ${e2e.health}`);
  rows.push({ mode, e2e: e2e.rate, alone, hubMicros: e2e.hubMicros });
}
const [l1, l5] = loadavg();
console.log(`\nSparkplug B DDATA metric changes/s into stored signals (target ${TARGET}); ${cpus().length} cores,`);
console.log(
  `load average ${l1.toFixed(2)} / ${l5.toFixed(2)}, ${CHANGES} changes, ${METRICS} metrics per DDATA, window ${WINDOW}`,
);
console.log(`decode + map alone (connector, no hub): ${cpu}/s`);
console.log('| mode | end to end | hub process CPU per change | hub publishSignals alone (1000/call) | target met |');
console.log('|---|---:|---:|---:|---|');
for (const r of rows)
  console.log(
    `| ${r.mode} | ${r.e2e} | ${r.hubMicros.toFixed(0)} µs | ${r.alone} | ${r.e2e >= TARGET ? 'yes' : `no (${Math.round((100 * r.e2e) / TARGET)} %)`} |`,
  );
process.exit(0);
