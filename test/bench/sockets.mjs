// Hub memory per idle, authenticated graphql-ws socket with one subscription (issue 15: ≤ 20 KB at
// 10,000 sockets). The hub runs as its own process (the demo plant, embedded, nothing simulated);
// this process opens the sockets with `ws` speaking graphql-transport-ws, each subscribed to one
// machine's state changes, and reads the hub's RSS (/proc) and V8 heap (/metrics) once the sockets
// have settled: per socket = the growth from the previous step / the sockets added (0 → 1,000 → N). The heap figure is
// the smallest of five samples (the live size); RSS also holds what V8 keeps for reuse.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 10_000);
const TARGET_KB = 20;
const CLI = fileURLToPath(new URL('../../hub/dist/cli.js', import.meta.url));
const MACHINES = ['press-1', 'press-2'].map((m) => `acme/berlin/assembly/line-1/${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// BENCH_HEAP_SNAPSHOTS=<folder>: the hub writes a V8 heap snapshot there at each measurement (SIGUSR2),
// to compare what a socket holds (e.g. with Chrome DevTools' comparison view).
const SNAPSHOTS = process.env.BENCH_HEAP_SNAPSHOTS;
const hub = spawn(process.execPath, [...(SNAPSHOTS ? ['--heapsnapshot-signal=SIGUSR2'] : []), CLI, 'start', '--demo'], {
  cwd: SNAPSHOTS || process.cwd(),
  env: {
    PATH: process.env.PATH,
    PORT: '0',
    PLANTGRAPH_DATA_DIR: 'memory://',
    PLANTGRAPH_FLOWS: 'off',
    PLANTGRAPH_SIMULATOR_INTERVAL_MS: '0',
    PLANTGRAPH_DEMO_MQTT_PORT: '0',
    PLANTGRAPH_DEMO_ERP_POLL_MS: '0',
    PLANTGRAPH_RATE_LIMIT_PER_SECOND: '1000000',
    PLANTGRAPH_RATE_LIMIT_BURST: '1000000',
    PLANTGRAPH_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
hub.stdout.on('data', (b) => (output += b));
hub.stderr.on('data', (b) => (output += b));
const deadline = Date.now() + 120_000;
while (!/stop with Ctrl-C/.test(output)) {
  if (Date.now() > deadline || hub.exitCode !== null) throw new Error(`the hub did not start:\n${output}`);
  await sleep(100);
}
const url = /ready at (http:\/\/\S+)/.exec(output)[1];
const token = /local admin (?:API key|token)[\s\S]*?(pgk_[\w-]+)/.exec(output)[1];
console.log(`[sockets] hub ${hub.pid} at ${url}; opening up to ${SOCKETS} sockets`);

const rssBytes = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${hub.pid}/status`, 'utf8'))[1]) * 1024;
const heapBytes = async () => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^plantgraph_nodejs_heap_size_used_bytes (\S+)/m.exec(text)[1]);
};
/** The median of a few samples a second apart, once the hub has settled. */
async function measure() {
  await sleep(3000);
  if (SNAPSHOTS) {
    hub.kill('SIGUSR2');
    await sleep(15_000); // writing a snapshot blocks the hub for seconds
  }
  const rss = [];
  const heap = [];
  for (let i = 0; i < 5; i++) {
    rss.push(rssBytes());
    heap.push(await heapBytes());
    await sleep(1000);
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // The heap's smallest sample is the closest to what is live (the rest is garbage not yet collected).
  return { rss: median(rss), heap: Math.min(...heap) };
}

const sockets = [];
function open(i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const timer = setTimeout(() => reject(new Error(`socket ${i}: no answer in 30 s`)), 30_000);
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'connection_ack') {
        const query = `subscription { equipmentStateChanged(scope: "${MACHINES[i % MACHINES.length]}") { path state } }`;
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
        // graphql-ws answers nothing until an event: give the hub a moment to set the subscription up.
        setTimeout(() => {
          clearTimeout(timer);
          resolve(ws);
        }, 5);
      } else if (message.type === 'error') reject(new Error(`socket ${i}: ${JSON.stringify(message.payload)}`));
    });
    ws.on('close', (code, reason) => reject(new Error(`socket ${i} closed: ${code} ${reason}`)));
    ws.on('error', reject);
  });
}
async function openUpTo(n) {
  while (sockets.length < n) {
    const batch = Math.min(200, n - sockets.length);
    const start = sockets.length;
    sockets.push(...(await Promise.all(Array.from({ length: batch }, (_, k) => open(start + k)))));
    if (sockets.length % 2000 === 0) console.log(`[sockets] ${sockets.length} open and subscribed`);
  }
}

const rows = [];
try {
  // Warm-up: start-up's garbage freed and the socket path compiled before the baseline.
  await openUpTo(200);
  for (const ws of sockets.splice(0)) ws.terminate();
  const none = await measure();
  let previous = { n: 0, ...none };
  for (const n of [1000, SOCKETS]) {
    await openUpTo(n);
    const at = await measure();
    // Per socket from the previous step: a step's own RSS noise (pages V8 keeps or returns) spreads over more sockets.
    const per = (key) => (at[key] - previous[key]) / (n - previous.n) / 1024;
    rows.push({ n, from: previous.n, rss: per('rss'), heap: per('heap'), total: at.rss });
    previous = { n, ...at };
  }
  // One event reaches the subscribers of press-1: the sockets are live, not just open.
  let received = 0;
  for (const ws of sockets) ws.on('message', (d) => (JSON.parse(String(d)).type === 'next' ? received++ : 0));
  await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: `mutation { setEquipmentState(input: { path: "${MACHINES[0]}", state: Down, reason: "bench" }) { __typename } }`,
    }),
  });
  const until = Date.now() + 30_000;
  while (received < sockets.length / 2 && Date.now() < until) await sleep(100);

  const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim();
  console.log(
    `\n${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}\n`,
  );
  console.log(
    '| sockets (one subscription each) | hub RSS per added socket | V8 heap per added socket | hub RSS | target |',
  );
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.from} → ${r.n} | ${r.rss.toFixed(1)} KB | ${r.heap.toFixed(1)} KB | ${Math.round(r.total / 2 ** 20)} MB | ` +
        `≤ ${TARGET_KB} KB |`,
    );
  console.log(`\n${received} of ${sockets.length / 2} subscribers of ${MACHINES[0]} got the event`);
} finally {
  for (const ws of sockets) ws.terminate();
  hub.kill('SIGTERM');
}
