// `npm run bench:startup`: how long `plantgraph start --demo` (what `npm start` runs) takes to answer
// /readyz 200, fresh (an empty embedded data folder) and warm (the same folder again), and the
// memory it holds then: the hub process's RSS at ready and its peak (VmHWM) up to then, and the
// flows child's (Node-RED) RSS reported apart. Each start is its own process, spawned the way users
// run the CLI; /readyz is polled every 20 ms. Bounded: BENCH_STARTUP_RUNS starts of each kind
// (default 3), each given at most BENCH_STARTUP_LIMIT_S seconds (60; more on a machine shared with others).
// BENCH_STARTUP_ARGS (default "--demo") and BENCH_STARTUP_FLOWS=off change what is started;
// BENCH_CLI=<path>/hub/dist/cli.js starts another build of the hub (a before/after on the same load).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = process.env.BENCH_CLI ?? fileURLToPath(new URL('../../hub/dist/cli.js', import.meta.url));
/** The node flags the `plantgraph` command runs with: those of the CLI's first line (`#!/usr/bin/env -S node …`). */
const NODE_FLAGS = readFileSync(CLI, 'utf8')
  .split('\n', 1)[0]
  .split(' ')
  .filter((f) => f.startsWith('--'));
const RUNS = Math.min(Number(process.env.BENCH_STARTUP_RUNS ?? 3), 20);
const ARGS = (process.env.BENCH_STARTUP_ARGS ?? '--demo').split(' ').filter(Boolean);
const FLOWS = process.env.BENCH_STARTUP_FLOWS ?? 'on';
const LIMIT_MS = Number(process.env.BENCH_STARTUP_LIMIT_S ?? 60) * 1000;
const TARGET = { fresh: 2500, warm: 1500, hubMb: 300 };
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** Resident and peak memory of a process in MB, from /proc (Linux). */
function memoryMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** CPU seconds (user + system) a process has used: less at the mercy of a loaded machine than wall time. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 per second)
  } catch {
    return null;
  }
}

function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** One start: spawn, poll /readyz until 200, measure, then (flows on) wait for the flows to run, stop. */
async function startOnce(dataDir) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, CLI, 'start', ...ARGS], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      PLANTGRAPH_DATA_DIR: dataDir,
      PLANTGRAPH_DEMO_MQTT_PORT: '0',
      PLANTGRAPH_FLOWS: FLOWS,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise((r) => child.once('exit', r));
  let gone = false;
  exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}/readyz`;
  const deadline = started + LIMIT_MS;
  let body = null;
  while (!gone && performance.now() < deadline) {
    const res = await fetch(url).catch(() => null);
    if (res?.status === 200) {
      body = await res.json();
      break;
    }
    await sleep(20);
  }
  const readyMs = performance.now() - started;
  if (!body) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`the hub was not ready within ${LIMIT_MS / 1000} s:\n${output}`);
  }
  const hub = memoryMb(child.pid);
  const cpu = cpuSeconds(child.pid);
  // The flows child starts after the API is ready (its readiness is in /readyz's body).
  let flowsMs = null;
  while (FLOWS !== 'off' && !gone && performance.now() < deadline) {
    const res = await fetch(url).catch(() => null);
    const flows = res ? (await res.json()).flows : null;
    if (flows?.status !== 'starting') {
      flowsMs = flows ? performance.now() - started : null;
      break;
    }
    await sleep(50);
  }
  const flowsMb = childPids(child.pid).reduce((sum, pid) => sum + memoryMb(pid).rss, 0);
  const banner = /started in ([\d.]+) s/.exec(output)?.[1];
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
  await exited;
  return {
    readyMs,
    cpu,
    flowsMs,
    hubMb: hub.rss,
    hubPeakMb: hub.peak,
    flowsMb,
    banner: banner ? Number(banner) : null,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { fresh: [], warm: [] };
const loads = [];
const dirs = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'plantgraph-bench-startup-'));
    dirs.push(dir);
    loads.push(loadavg()[0]);
    const fresh = await startOnce(dir);
    results.fresh.push(fresh);
    loads.push(loadavg()[0]);
    const warm = await startOnce(dir);
    results.warm.push(warm);
    log(
      `run ${i + 1}/${RUNS}: fresh ${fresh.readyMs.toFixed(0)} ms, warm ${warm.readyMs.toFixed(0)} ms ` +
        `(hub ${warm.hubMb.toFixed(0)} MB, flows ${warm.flowsMb.toFixed(0)} MB, load ${loadavg()[0].toFixed(1)})`,
    );
  }
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

const mb = (x) => `${x.toFixed(0)} MB`;
const ms = (x) => (x == null ? '—' : `${(x / 1000).toFixed(2)} s`);
console.log(
  `\nStart-up: \`plantgraph start ${ARGS.join(' ')}\` embedded, flows ${FLOWS}, ${RUNS} runs each${process.env.BENCH_CLI ? ` (${CLI})` : ''} ` +
    `(medians; ${cpus().length} cores, load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)})\n`,
);
console.log('| start | measure | median | worst | target |\n|---|---|---:|---:|---:|');
for (const kind of ['fresh', 'warm']) {
  const rows = results[kind];
  const row = (measure, pick, fmt, target) => {
    const xs = rows.map(pick).filter((x) => x != null);
    if (!xs.length) return;
    console.log(`| ${kind} | ${measure} | ${fmt(median(xs))} | ${fmt(Math.max(...xs))} | ${target} |`);
  };
  row('to /readyz 200', (r) => r.readyMs, ms, `≤ ${ms(TARGET[kind])}`);
  row('hub CPU to ready (user + system)', (r) => r.cpu * 1000, ms, '—');
  row('flows running (/readyz body)', (r) => r.flowsMs, ms, 'not blocking');
  row('hub RSS at ready', (r) => r.hubMb, mb, `< ${TARGET.hubMb} MB`);
  row('hub peak RSS to ready', (r) => r.hubPeakMb, mb, `< ${TARGET.hubMb} MB`);
  row('flows child RSS', (r) => r.flowsMb, mb, 'reported');
}
