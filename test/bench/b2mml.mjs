// `npm run bench:b2mml`: a B2MML V0701 OperationsSchedule of N orders (default 1,000) imported through the
// connector's document path (schema validation with xmllint-wasm, parsing, mapping, `importWorkOrders` in
// calls of 500, the AcknowledgeOperationsSchedule built and validated too), then imported again (all
// Unchanged), on an in-process hub, embedded and on PostgreSQL + NATS. Target (issue 18): ≥ 500 orders/s.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { benchBacking } from './bench-backing.mjs';
import { configFromEnv, startHub } from '@plantgraph/hub';
import { demoConfigFromEnv, demoExtension } from '@plantgraph/demo';
import { handleDocument, validateDocument } from '@plantgraph/connector-b2mml';
import { RemoteHubClient } from '@plantgraph/connector-sdk';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 1000);
const MODES = (process.env.BENCH_MODES || 'postgres+nats,embedded').split(',');
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

/** The test fixture's first request repeated with new IDs and planned windows: a realistic 1,000-order week. */
function schedule(count) {
  const xml = readFileSync(new URL('../fixtures/b2mml/operations-schedule.xml', import.meta.url), 'utf8');
  const open = '<b2mml:OperationsRequest>';
  const close = '</b2mml:OperationsRequest>';
  const first = xml.indexOf(open);
  const request = xml.slice(first, xml.indexOf(close) + close.length);
  const requests = Array.from({ length: count }, (_, i) => request.replaceAll('B2-WO-1001', `B2-BENCH-${100000 + i}`));
  const end = '</b2mml:OperationsSchedule></b2mml:DataArea></b2mml:ProcessOperationsSchedule>';
  return `${xml.slice(0, first)}${requests.join('\n')}\n${end}`;
}

async function run(mode, xml) {
  const { shared, drop } = await benchBacking(mode);
  const config = configFromEnv(
    { PLANTGRAPH_FLOWS: 'off', PLANTGRAPH_RATE_LIMIT_PER_SECOND: '100000', PLANTGRAPH_RATE_LIMIT_BURST: '100000' },
    { port: 0, dataDir: 'memory://', demo: true, ...shared },
  );
  const demo = demoExtension(demoConfigFromEnv({}, { simulatorIntervalMs: 0, erpPollIntervalMs: 0 }));
  const hub = await startHub(
    config,
    { log: () => {}, warn: console.warn, error: console.error },
    { extensions: [demo] },
  );
  try {
    const client = new RemoteHubClient(hub.url, hub.localAdminToken, 120_000);
    const rows = [];
    for (const phase of ['first import', 're-import']) {
      const started = performance.now();
      const result = await handleDocument(client, 'bench', xml, 'bench.xml', phase);
      const ms = performance.now() - started;
      const outcomes = {};
      for (const o of result.outcomes) outcomes[o.outcome] = (outcomes[o.outcome] ?? 0) + 1;
      rows.push({ mode, phase, ms: Math.round(ms), ordersPerSecond: Math.round((ORDERS / ms) * 1000), outcomes });
    }
    return rows;
  } finally {
    await hub.close();
    await drop();
  }
}

const xml = schedule(ORDERS);
const started = performance.now();
const check = await validateDocument(xml);
const checkMs = Math.round(performance.now() - started);
const size = `${(xml.length / 1e6).toFixed(1)} MB`;
log(`${ORDERS} orders, ${size}, schema check alone ${checkMs} ms (${check.valid ? 'valid' : 'INVALID'})`);
for (const mode of MODES) for (const row of await run(mode, xml)) console.log(JSON.stringify(row));
log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
process.exit(0);
