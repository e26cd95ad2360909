// `npm run bench:flows:nodes`: messages per second through `equipment signal` → `alert rule` on a real
// Node-RED runtime in this process, with the built PlantGraph nodes loaded as Node-RED loads any
// package (from a userDir's node_modules) and a fake embedded hub that only counts what it gets.
// Bounded: BENCH_FLOW_MESSAGES per scenario (default 200,000), then it stops by itself.
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const RED = require('node-red');
const MESSAGES = Number(process.env.BENCH_FLOW_MESSAGES ?? 200_000);
const CHUNK = 500;
const MACHINES = 50;
const PACKAGE = fileURLToPath(new URL('../../flows/node-red', import.meta.url));
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

/** The hub side: counts signals and alert mutations, answers them at once. */
const counts = { signals: 0, raised: 0, cleared: 0 };
let alertSeq = 0;
const fakeHub = {
  plant: 'bench',
  connect: () => ({
    publishSignal: async () => {
      counts.signals++;
    },
    publishEvent: async () => {},
    subscribeEvents: () => () => {},
    graphql: async (query) => {
      if (query.includes('raiseAlert(')) {
        counts.raised++;
        return {
          data: {
            raiseAlert: {
              __typename: 'Alert',
              id: `a${++alertSeq}`,
              state: 'Active',
              occurrences: 1,
              escalationLevel: 0,
            },
          },
        };
      }
      if (query.includes('clearAlert(')) {
        counts.cleared++;
        return {
          data: { clearAlert: { __typename: 'Alert', id: 'x', state: 'Cleared', occurrences: 1, escalationLevel: 0 } },
        };
      }
      return { data: { alerts: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } } };
    },
    close: async () => {},
  }),
};

const path = (i) => `acme/berlin/assembly/line-${(i % 5) + 1}/press-${i % MACHINES}`;
const SCENARIOS = [
  {
    name: 'process value → threshold (hysteresis)',
    signal: { kind: 'value', valueName: 'temperature', unit: '°C' },
    rule: { rule: 'threshold', property: 'signal.value', high: '80', hysteresis: '5' },
    // A slow sine per machine: crosses the limit now and then, so alerts are raised and cleared.
    msg: (i) => ({ path: path(i), payload: 50 + 40 * Math.sin(i / (MACHINES * 200)) }),
  },
  {
    name: 'state → state held too long',
    signal: { kind: 'state', stateMap: '1=Running,0=Idle,2=Down:JAM' },
    rule: { rule: 'stateDuration', states: 'Down', duration: '60', durationUnit: 's' },
    msg: (i) => ({ path: path(i), payload: [1, 1, 0, 2][Math.floor(i / MACHINES) % 4] }),
  },
  {
    name: 'count → scrap rate (15 min window)',
    signal: { kind: 'count' },
    rule: { rule: 'rate', windowMinutes: '15', limitPercent: '5', minParts: '20', hysteresis: '1' },
    msg: (i) => ({ path: path(i), payload: i % 17 === 0 ? { scrap: 1 } : { good: 1 } }),
  },
];

const userDir = mkdtempSync(join(tmpdir(), 'plantgraph-bench-'));
mkdirSync(join(userDir, 'node_modules/@plantgraph'), { recursive: true });
symlinkSync(PACKAGE, join(userDir, 'node_modules/@plantgraph/node-red-contrib-plantgraph'));
writeFileSync(
  join(userDir, 'package.json'),
  JSON.stringify({ name: 'bench', dependencies: { '@plantgraph/node-red-contrib-plantgraph': '*' } }),
);
const flows = [
  { id: 'tab', type: 'tab', label: 'bench' },
  { id: 'hub', type: 'plantgraph-hub', mode: 'embedded' },
];
for (const [n, s] of SCENARIOS.entries()) {
  flows.push(
    {
      id: `sig${n}`,
      type: 'plantgraph-equipment-signal',
      z: 'tab',
      hub: 'hub',
      passthrough: true,
      ...s.signal,
      wires: [[`rule${n}`]],
    },
    { id: `rule${n}`, type: 'plantgraph-alert-rule', z: 'tab', hub: 'hub', severity: 'Medium', ...s.rule, wires: [[]] },
  );
}
writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flows));

const server = createServer();
RED.init(server, {
  userDir,
  flowFile: 'flows.json',
  httpAdminRoot: false,
  httpNodeRoot: false,
  credentialSecret: false,
  logging: { console: { level: 'warn' } },
  editorTheme: { projects: { enabled: false } },
  plantgraph: fakeHub,
});
const done = new Map();
RED.hooks.add('onComplete', (e) => {
  done.set(e.node.id, (done.get(e.node.id) ?? 0) + 1);
});
await RED.start();
// startFlows is asynchronous after start: wait for the nodes.
for (let i = 0; i < 100 && !RED.nodes.getNode('rule2'); i++) await new Promise((r) => setTimeout(r, 50));
const tick = () => new Promise((r) => setImmediate(r));

const rows = [];
try {
  for (const [n, scenario] of SCENARIOS.entries()) {
    const input = RED.nodes.getNode(`sig${n}`);
    const ruleId = `rule${n}`;
    if (!input || !RED.nodes.getNode(ruleId))
      throw new Error('the PlantGraph nodes did not start; see the Node-RED log above');
    const before = { ...counts };
    const start = process.hrtime.bigint();
    for (let i = 0; i < MESSAGES; i += CHUNK) {
      for (let j = i; j < Math.min(i + CHUNK, MESSAGES); j++) input.receive(scenario.msg(j));
      // Bounded backlog: let the runtime drain before sending more.
      while ((done.get(`sig${n}`) ?? 0) < i - 5 * CHUNK) await tick();
    }
    // Every message completes in the signal node; each one it published passes on to the rule.
    while ((done.get(`sig${n}`) ?? 0) < MESSAGES || (done.get(ruleId) ?? 0) < counts.signals - before.signals)
      await tick();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rows.push({
      name: scenario.name,
      seconds,
      signals: counts.signals - before.signals,
      raised: counts.raised - before.raised,
      cleared: counts.cleared - before.cleared,
      ruled: done.get(ruleId),
    });
    log(`${scenario.name}: ${Math.round(MESSAGES / seconds)} msgs/s`);
  }
} finally {
  await RED.stop();
  server.close();
  rmSync(userDir, { recursive: true, force: true });
}

console.log(
  `\n### Node-RED flows: equipment signal → alert rule (${MESSAGES.toLocaleString('en')} messages per scenario, ${MACHINES} machines, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()})\n`,
);
console.log(
  '| scenario | messages/s | seconds | signals published | messages through the rule | alerts raised | alerts cleared |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows)
  console.log(
    `| ${r.name} | ${Math.round(MESSAGES / r.seconds).toLocaleString('en')} | ${r.seconds.toFixed(2)} | ${r.signals.toLocaleString('en')} | ${r.ruled.toLocaleString('en')} | ${r.raised} | ${r.cleared} |`,
  );
process.exit(0);
