/**
 * The flows process: Node-RED for one plant, started and supervised by the hub (`flows-process.ts`)
 * with a scrubbed environment and a memory cap. It serves the editor and `http in` endpoints on a
 * loopback port behind the hub's proxy, and reaches the hub only through its public API (GraphQL
 * over HTTP and graphql-ws, as `flows:<plant>`) and the IPC calls in `child-protocol.ts`.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { readdirSync } from 'node:fs';
import { createRequire, enableCompileCache } from 'node:module';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { CHILD_CALLS, type FlowsChildStart, type FlowsChildStarted, PROXY_HEADER } from './child-protocol.js';
import { startNodeRed, type RunningNodeRed } from './child-node-red.js';
import { HOST_ACCESS_NODES } from './flow-policy.js';
import { type IpcChannel, IpcPeer } from './ipc.js';

if (!process.send) {
  console.error("This is the PlantGraph hub's flows process; the hub starts it (see PLANTGRAPH_FLOWS).");
  process.exit(2);
}
// The hub is gone (exited, killed): flows must not run on without the lease it held.
process.on('disconnect', () => process.exit(0));
// Node-RED's modules compiled once and kept on disk: a restarted child is back sooner.
enableCompileCache();

lockFunctionConstructors();
// Forked ahead as the hub's spare: load Node-RED now, so that a start has less to do.
setImmediate(preloadNodeRed);

let running: Promise<RunningNodeRed> | null = null;
const hub = new IpcPeer(process as unknown as IpcChannel, {
  [CHILD_CALLS.start]: (start: FlowsChildStart) => begin(start),
  [CHILD_CALLS.ping]: () => 'pong',
  [CHILD_CALLS.leader]: async (leader: boolean) => (await started()).setLeader(leader),
  [CHILD_CALLS.hubAt]: async (url: string) => (await started()).hubAt(url),
  [CHILD_CALLS.activate]: async (leader: boolean) => (await started()).activate(leader),
  [CHILD_CALLS.reload]: async () => (await started()).reload(),
  [CHILD_CALLS.stop]: async () => {
    await (await started()).stop();
    setImmediate(() => process.exit(0));
  },
});

function started(): Promise<RunningNodeRed> {
  if (!running) throw new Error('the flows process has not been started');
  return running;
}

async function begin(start: FlowsChildStart): Promise<FlowsChildStarted> {
  if (running) throw new Error('the flows process is already started');
  running = startNodeRed(start, hub);
  const red = await running;
  const secret = Buffer.from(start.proxySecret);
  const server = createServer((req, res) => {
    if (!fromHub(req, secret)) return void res.writeHead(403, { connection: 'close' }).end();
    red.host(req, res);
  });
  // The hub's proxy closes idle connections first (`proxy.ts`); closing them here first could reset a request.
  server.keepAliveTimeout = 120_000;
  server.on('upgrade', (req, socket, head) => {
    if (!fromHub(req, secret)) return void socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
    red.detached.emit('upgrade', req, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { port: (server.address() as AddressInfo).port };
}

/** Whether the request came through the hub's proxy; the proof is removed before Node-RED sees it. */
function fromHub(req: IncomingMessage, secret: Buffer): boolean {
  const presented = Buffer.from(String(req.headers[PROXY_HEADER] ?? ''));
  delete req.headers[PROXY_HEADER];
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === PROXY_HEADER) raw.splice(i, 2);
  return presented.length === secret.length && timingSafeEqual(presented, secret);
}

/** Loads Node-RED and its core nodes' modules (not the host nodes': whether they load is the start's choice). */
function preloadNodeRed(): void {
  try {
    const require = createRequire(createRequire(import.meta.url).resolve('node-red'));
    require('node-red');
    const core = join(dirname(require.resolve('@node-red/nodes/package.json')), 'core');
    for (const folder of readdirSync(core))
      for (const file of readdirSync(join(core, folder)))
        if (file.endsWith('.js') && !(file in HOST_ACCESS_NODES)) require(join(core, folder, file));
  } catch {
    // Only a head start: the start loads whatever is missing, and reports what fails.
  }
}

/**
 * Node's `vm` hands function nodes objects of this process, and from any of them
 * `x.constructor.constructor('return process')()` compiles code outside the sandbox. Each function
 * kind's `constructor` property is replaced by one that refuses (keeping its name, for code that
 * asks `fn.constructor.name`); `Function` and `new Function` by name still work for the modules
 * that use them, and a sandbox cannot name them.
 */
function lockFunctionConstructors(): void {
  const kinds = [
    Function,
    Object.getPrototypeOf(async () => {}).constructor,
    Object.getPrototypeOf(function* () {}).constructor,
    Object.getPrototypeOf(async function* () {}).constructor,
  ] as { name: string; prototype: object }[];
  for (const kind of kinds) {
    const name = kind.name;
    const refuse = {
      [name]: () => {
        throw new EvalError(`${name} is not available to flows: code cannot be compiled from strings here.`);
      },
    }[name]!;
    Object.defineProperty(kind.prototype, 'constructor', { value: refuse, writable: false, configurable: false });
  }
}
