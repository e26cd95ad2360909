// The hub's CPU per subscription frame written, apart from the ingest and graphql (issue 15,
// ADR 0065): 100 graphql-ws-like sockets, each event's shared result to ten of them, written in
// slices of events as the feed's local delivery hands them over. `per-frame` is how frames were
// written before (one buffer and one write per frame into a socket corked for the turn); `batched`
// is `SocketFrames` (one buffer and one write per socket per turn). The clients run in a child
// process; this process's CPU (`process.cpuUsage`) over the frames it wrote is the figure.
// `node test/bench/socket-frames.mjs` after `npm run build`; BENCH_SLICES=25,200 sets the slice sizes.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { WebSocketServer } from 'ws';
import { SocketFrames, textFrame } from '../../hub/dist/graphql/socket-frames.js';

const SOCKETS = 100;
const PER_EVENT = 10;
const FRAMES = Number(process.env.BENCH_FRAMES ?? 400_000);
const SLICES = (process.env.BENCH_SLICES ?? '25,200').split(',').map(Number);

if (process.argv[2] === 'clients') {
  const { default: WebSocket } = await import('ws');
  let received = 0;
  for (let i = 0; i < SOCKETS; i++) new WebSocket(process.argv[3]).on('message', () => received++);
  setInterval(() => process.send(received), 100);
} else {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const sockets = [];
  wss.on('connection', (s) => sockets.push(s));
  const clients = fork(fileURLToPath(import.meta.url), ['clients', `ws://127.0.0.1:${wss.address().port}`]);
  let received = 0;
  clients.on('message', (n) => (received = n));
  while (sockets.length < SOCKETS) await new Promise((r) => setTimeout(r, 50));
  const prefixes = sockets.map((_, s) =>
    Array.from({ length: PER_EVENT }, (_, k) => Buffer.from(`{"id":"${s * PER_EVENT + k}","type":"next","payload":`)),
  );
  const corked = new Set();
  const perFrame = (socket, prefix, result) => {
    const raw = socket._socket;
    if (!corked.has(raw)) {
      corked.add(raw);
      raw.cork();
      setImmediate(() => {
        corked.delete(raw);
        raw.uncork();
      });
    }
    raw.write(textFrame(prefix, result.bytes));
  };
  const frames = new SocketFrames(() => {});
  for (const s of sockets) frames.watch(s);
  const batched = (socket, prefix, result) => frames.add(socket, prefix, result);
  let sent = 0;
  const run = async (write, slice) => {
    const start = process.cpuUsage();
    for (let event = 0; event * PER_EVENT < FRAMES; event++) {
      const text = `{"data":{"equipmentStateChanged":{"at":"${new Date().toISOString()}","sequence":"${event}"}}}`;
      const result = { text, bytes: Buffer.from(text) };
      for (let j = 0; j < PER_EVENT; j++) {
        const s = (event + j * PER_EVENT) % SOCKETS;
        write(sockets[s], prefixes[s][j], result);
      }
      sent += PER_EVENT;
      if ((event + 1) % slice === 0) await new Promise((r) => setImmediate(r));
      // The clients keep up: at most a few slices in flight.
      while (sent - received > 20 * slice * PER_EVENT) await new Promise((r) => setTimeout(r, 1));
    }
    while (received < sent) await new Promise((r) => setTimeout(r, 5));
    const cpu = process.cpuUsage(start);
    return ((cpu.user + cpu.system) / FRAMES).toFixed(2);
  };
  for (const slice of SLICES)
    for (let round = 0; round < 2; round++)
      for (const [name, write] of [
        ['per-frame', perFrame],
        ['batched', batched],
      ])
        console.log(
          `${slice} events per slice, ${name}: ${await run(write, slice)} µs per frame ` +
            `(load ${loadavg()[0].toFixed(2)})`,
        );
  clients.kill();
  wss.close();
  for (const s of sockets) s.terminate();
}
