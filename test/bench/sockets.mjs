// `npm run bench:sockets`: hub memory per idle authenticated graphql-ws socket with one subscription.
// An embedded hub in its own process; BENCH_SOCKETS (10,000) sockets from this process, opened in
// rounds of 250, each authenticated with an API key and subscribed to one machine's state changes.
// The hub's resident memory is read from /proc before (after a warm-up of 100 sockets) and after.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { formatLoad } from './process-cpu.mjs';

const run = promisify(execFile);
const CLI = process.env.BENCH_CLI ?? fileURLToPath(new URL('../../hub/dist/cli.js', import.meta.url));
const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 10_000);
const TARGET_KB = 20;
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
const folder = mkdtempSync(join(tmpdir(), 'plantgraph-sockets-'));
const env = {
  PATH: process.env.PATH,
  PLANTGRAPH_DATA_DIR: join(folder, 'data'),
  PLANTGRAPH_FLOWS: 'off',
  PLANTGRAPH_MAX_CONNECTIONS_PER_ADDRESS: String(SOCKETS * 2),
  PLANTGRAPH_RATE_LIMIT_PER_SECOND: '100000',
  PLANTGRAPH_RATE_LIMIT_BURST: '100000',
};
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
let hub;
const clients = [];
try {
  await run(process.execPath, [CLI, 'migrate'], { env });
  const key = /\n(pgk_\S+)/.exec(
    (await run(process.execPath, [CLI, 'api-key', 'create', '--name', 'bench', '--grant', 'admin@*'], { env })).stdout,
  )[1];
  hub = spawn(process.execPath, [...(process.env.BENCH_HUB_NODE_ARGS?.split(' ') ?? []), CLI, 'start'], {
    env: { ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    hub.stdout.on('data', (c) => {
      out += c;
      const m = /ready at (\S+)/.exec(out);
      if (m && out.includes('stop with Ctrl-C')) resolve(m[1].replace('http', 'ws'));
    });
    hub.once('exit', (code) => reject(new Error(`hub exited ${code}: ${out}`)));
  });
  /** Opens `n` sockets, each authenticated and with one subscription the hub has started. */
  const open = async (n) => {
    for (let done = 0; done < n; ) {
      const round = Math.min(250, n - done);
      await Promise.all(
        Array.from({ length: round }, (_, i) => {
          const client = createClient({
            url: `${url}/graphql`,
            webSocketImpl: WebSocket,
            connectionParams: { authorization: `Bearer ${key}` },
            retryAttempts: 0,
            lazy: false,
          });
          clients.push(client);
          return new Promise((resolve, reject) => {
            client.on('connected', resolve);
            client.on('closed', (e) => reject(new Error(`socket closed: ${e?.code} ${e?.reason}`)));
            client.subscribe(
              { query: `subscription { equipmentStateChanged(scope: "acme/m${(done + i) % 100}") { at } }` },
              { next: () => {}, error: (e) => reject(new Error(JSON.stringify(e))), complete: () => {} },
            );
          });
        }),
      );
      done += round;
    }
    await new Promise((r) => setTimeout(r, 3000)); // the subscriptions started, the heap settled
  };
  await open(100);
  const before = rssKb(hub.pid);
  log(`hub RSS with 100 sockets: ${(before / 1024).toFixed(0)} MB; opening ${SOCKETS}`);
  await open(SOCKETS);
  const after = rssKb(hub.pid);
  const perSocket = (after - before) / SOCKETS;
  const machine = `${cpus().length} × ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`;
  console.log(`\n${new Date().toISOString()} — ${machine}; load average ${formatLoad(loadavg())}`);
  console.log('\n| measure | result | target |\n|---|---|---|');
  console.log(
    `| hub RSS, 100 sockets → ${SOCKETS + 100} sockets | ${(before / 1024).toFixed(0)} → ${(after / 1024).toFixed(0)} MB | — |`,
  );
  console.log(`| hub memory per idle socket with one subscription | ${perSocket.toFixed(1)} KB | ≤ ${TARGET_KB} KB |`);
} finally {
  await Promise.all(clients.map((c) => c.dispose()));
  hub?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  rmSync(folder, { recursive: true, force: true });
}
