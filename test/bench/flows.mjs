// `npm run bench:flows`: messages per second through `equipment signal` → `alert rule` in the flows
// of a real hub (the demo plant, embedded or on PostgreSQL + NATS), with Node-RED wherever the hub
// runs it (since issue 13: its own process). Messages enter through an authenticated `http in`
// endpoint on the hub's port (proxied to Node-RED), batches of BENCH_FLOW_CHUNK, at most
// BENCH_FLOW_INFLIGHT batches unfinished; every signal goes through the hub's public API
// (`publishSignals`, acknowledged once stored) and every alert through `raiseAlert`/`clearAlert`.
// Bounded: BENCH_FLOW_MESSAGES per scenario (default 20,000), then it stops by itself.
// `npm run bench:flows:nodes` measures the nodes alone, against a counting stand-in for the hub.
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { benchBacking } from './bench-backing.mjs';
import { configFromEnv, startHub } from '@plantgraph/hub';
import { demoConfigFromEnv, demoExtension } from '@plantgraph/demo';

const MESSAGES = Number(process.env.BENCH_FLOW_MESSAGES ?? 20_000);
const CHUNK = Number(process.env.BENCH_FLOW_CHUNK ?? 250);
const INFLIGHT = Number(process.env.BENCH_FLOW_INFLIGHT ?? 32);
const MODES = (process.env.BENCH_MODES ?? 'embedded,postgres+nats').split(',');
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const SCENARIOS = [
  {
    name: 'process value → threshold (hysteresis)',
    signal: { kind: 'value', valueName: 'temperature', unit: '°C' },
    rule: { rule: 'threshold', property: 'signal.value', high: '80', hysteresis: '5' },
    msg: (i, machines) => ({
      path: machines[i % machines.length],
      payload: 50 + 40 * Math.sin(i / (machines.length * 200)),
    }),
  },
  {
    name: 'state → state held too long',
    signal: { kind: 'state', stateMap: '1=Running,0=Idle,2=Down:JAM' },
    rule: { rule: 'stateDuration', states: 'Down', duration: '60', durationUnit: 's' },
    msg: (i, machines) => ({
      path: machines[i % machines.length],
      payload: [1, 1, 0, 2][Math.floor(i / machines.length) % 4],
    }),
  },
  {
    name: 'count → scrap rate (15 min window)',
    signal: { kind: 'count' },
    rule: { rule: 'rate', windowMinutes: '15', limitPercent: '5', minParts: '20', hysteresis: '1' },
    msg: (i, machines) => ({ path: machines[i % machines.length], payload: i % 17 === 0 ? { scrap: 1 } : { good: 1 } }),
  },
];

/** Per scenario n: POST /bench/n fans a batch out to the signal node; counters of completed, published and failed. */
function benchFlows() {
  const flows = [
    { id: 'tab', type: 'tab', label: 'bench' },
    { id: 'hub', type: 'plantgraph-hub', mode: 'embedded' },
    { id: 'stats-in', type: 'http in', z: 'tab', url: '/bench/stats', method: 'get', wires: [['stats-fn']] },
    {
      id: 'stats-fn',
      type: 'function',
      z: 'tab',
      func: 'msg.payload = flow.get("stats") || {}; return msg;',
      outputs: 1,
      wires: [['stats-out']],
    },
    { id: 'stats-out', type: 'http response', z: 'tab', statusCode: '', headers: {}, wires: [] },
  ];
  const count = (id, key) => ({
    id,
    type: 'function',
    z: 'tab',
    func: `const s = flow.get("stats") || {}; s[${JSON.stringify(key)}] = (s[${JSON.stringify(key)}] || 0) + 1; flow.set("stats", s); return null;`,
    outputs: 1,
    wires: [[]],
  });
  for (const [n, s] of SCENARIOS.entries()) {
    flows.push(
      { id: `in${n}`, type: 'http in', z: 'tab', url: `/bench/${n}`, method: 'post', wires: [[`fan${n}`]] },
      {
        id: `fan${n}`,
        type: 'function',
        z: 'tab',
        func: `for (const m of msg.payload) node.send([{ path: m.path, payload: m.payload }, null]);
msg.payload = { accepted: msg.payload.length }; return [null, msg];`,
        outputs: 2,
        wires: [[`sig${n}`], [`out${n}`]],
      },
      { id: `out${n}`, type: 'http response', z: 'tab', statusCode: '', headers: {}, wires: [] },
      {
        id: `sig${n}`,
        type: 'plantgraph-equipment-signal',
        z: 'tab',
        hub: 'hub',
        passthrough: true,
        ...s.signal,
        wires: [[`rule${n}`, `pub${n}`]],
      },
      {
        id: `rule${n}`,
        type: 'plantgraph-alert-rule',
        z: 'tab',
        hub: 'hub',
        severity: 'Medium',
        ...s.rule,
        wires: [[]],
      },
      count(`pub${n}`, `published${n}`),
      { id: `done${n}`, type: 'complete', z: 'tab', scope: [`sig${n}`], wires: [[`cnt${n}`]] },
      count(`cnt${n}`, `completed${n}`),
      { id: `err${n}`, type: 'catch', z: 'tab', scope: [`sig${n}`, `rule${n}`], wires: [[`ecnt${n}`]] },
      count(`ecnt${n}`, `failed${n}`),
    );
  }
  return flows;
}

async function run(mode) {
  const { shared, drop } = await benchBacking(mode);
  // The flows' principal sends a mutation per batch of signals and per alert: the default rate limit would throttle it.
  const config = configFromEnv(
    {
      PLANTGRAPH_FLOWS_PLANT: `bench${randomBytes(3).toString('hex')}`,
      PLANTGRAPH_RATE_LIMIT_PER_SECOND: '100000',
      PLANTGRAPH_RATE_LIMIT_BURST: '100000',
    },
    { port: 0, dataDir: 'memory://', demo: true, ...shared },
  );
  const demo = demoExtension(demoConfigFromEnv({}, { simulatorIntervalMs: 0, erpPollIntervalMs: 0 }));
  const hub = await startHub(
    config,
    { log: () => {}, warn: console.warn, error: console.error },
    { extensions: [demo] },
  );
  await hub.flowsStarted;
  const auth = { authorization: `Bearer ${hub.localAdminToken}` };
  const rows = [];
  try {
    const gql = async (query) => {
      const res = await fetch(`${hub.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ query }),
      });
      return (await res.json()).data;
    };
    const { equipmentList } = await gql('{ equipmentList(first: 500) { edges { node { path level } } } }');
    const machines = equipmentList.edges
      .map((e) => e.node)
      .filter((n) => n.level === 'WorkCell')
      .map((n) => n.path);
    const deployed = await fetch(`${hub.url}/flows/flows`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'node-red-deployment-type': 'full' },
      body: JSON.stringify(benchFlows()),
    });
    if (deployed.status !== 204) throw new Error(`deploy: HTTP ${deployed.status} ${await deployed.text()}`);
    const stats = async () => {
      for (let i = 0; i < 50; i++) {
        const res = await fetch(`${hub.url}/flows-http/bench/stats`, { headers: auth });
        if (res.status === 200) return res.json();
        await sleep(100);
      }
      throw new Error('the bench flows did not start');
    };
    await stats();
    const alerts = async () =>
      (await gql('{ alerts(first: 500, filter: { pathPrefix: "acme" }) { edges { node { id } } } }')).alerts.edges
        .length;
    for (const [n, scenario] of SCENARIOS.entries()) {
      const alertsBefore = await alerts();
      const start = process.hrtime.bigint();
      const inflight = new Set();
      for (let i = 0; i < MESSAGES; i += CHUNK) {
        const batch = [];
        for (let j = i; j < Math.min(i + CHUNK, MESSAGES); j++) batch.push(scenario.msg(j, machines));
        const sent = fetch(`${hub.url}/flows-http/bench/${n}`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        }).then((r) => {
          if (r.status !== 200) throw new Error(`POST /bench/${n}: HTTP ${r.status}`);
          return r.arrayBuffer();
        });
        inflight.add(sent);
        sent.finally(() => inflight.delete(sent));
        // Bounded backlog: no more than INFLIGHT batches accepted but not yet through the signal node.
        for (;;) {
          const s = await stats();
          if ((s[`completed${n}`] ?? 0) + (s[`failed${n}`] ?? 0) >= i - INFLIGHT * CHUNK) break;
          await sleep(100);
        }
      }
      await Promise.all(inflight);
      let s = await stats();
      while ((s[`completed${n}`] ?? 0) < MESSAGES) {
        await sleep(50);
        s = await stats();
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const row = {
        name: scenario.name,
        seconds,
        published: s[`published${n}`] ?? 0,
        failed: s[`failed${n}`] ?? 0,
        alerts: (await alerts()) - alertsBefore,
      };
      rows.push(row);
      log(`${mode}: ${scenario.name}: ${Math.round(MESSAGES / seconds)} msgs/s`);
    }
    const pid = hub.flows?.process?.pid;
    return { mode, rows, outOfProcess: Boolean(pid) };
  } finally {
    await hub.close();
    await drop();
  }
}

const results = [];
for (const mode of MODES) results.push(await run(mode));
const cpu = cpus();
console.log(
  `\n### Flows through the hub: equipment signal → alert rule (${MESSAGES.toLocaleString('en')} messages per scenario, ` +
    `batches of ${CHUNK}, Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim()}, ` +
    `${Math.round(totalmem() / 2 ** 30)} GB, load average ${loadavg()[0].toFixed(1)} at the end)\n`,
);
console.log('| backing | Node-RED | scenario | messages/s | seconds | signals published | failed | alerts raised |');
console.log('|---|---|---|---:|---:|---:|---:|---:|');
for (const { mode, rows, outOfProcess } of results)
  for (const r of rows)
    console.log(
      `| ${mode} | ${outOfProcess ? 'child process' : 'in the hub'} | ${r.name} | ${Math.round(MESSAGES / r.seconds).toLocaleString('en')} | ${r.seconds.toFixed(2)} | ${r.published.toLocaleString('en')} | ${r.failed} | ${r.alerts} |`,
    );
process.exit(0);
