/**
 * Node-RED out of the hub's process (issue 13): the flows run in a child the hub supervises, with
 * nothing of the hub's in its environment, reaching the hub only through its public API. A flow
 * that keeps its process busy does not slow the hub, and a killed child is back with its flows.
 * A real hub with its real Node-RED child, in both modes.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configFromEnv } from '@plantgraph/hub';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MODES, graphql, sleep, startTestHub, testLimits, uniqueName, type TestHub } from './support/harness.js';
import { deploy, endpoint, eventually, tickerFlow, withFlows } from './support/flows.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/** In the hub's environment while it starts: settings and secrets of the hub, and one variable flows may read. */
const HUB_ENVIRONMENT: Record<string, string> = {
  DATABASE_URL: 'postgres://hub:db-password-probe@127.0.0.1:5432/plant',
  NATS_URL: 'nats://nats-user:nats-password-probe@127.0.0.1:4222',
  REDIS_URL: 'redis://:redis-password-probe@127.0.0.1:6379',
  PLANTGRAPH_CONNECTOR_SECRET: 'connector-secret-probe',
  SHOP_FLOOR_API_TOKEN: 'token-probe',
  FLOWS_PROBE_LINE: 'line 1',
};
const SECRET_VALUES = Object.entries(HUB_ENVIRONMENT)
  .filter(([name]) => name !== 'FLOWS_PROBE_LINE')
  .map(([, value]) => value);

/** http in (GET `/<id>`) → function `func` → http response; a catch answers with the error. */
const endpointFlow = (id: string, func: string) => [
  { id, type: 'tab', label: id },
  { id: `${id}-in`, type: 'http in', z: id, url: `/${id}`, method: 'get', wires: [[`${id}-fn`]] },
  { id: `${id}-fn`, type: 'function', z: id, func, outputs: 1, wires: [[`${id}-out`]] },
  { id: `${id}-catch`, type: 'catch', z: id, scope: [`${id}-fn`], wires: [[`${id}-err`]] },
  {
    id: `${id}-err`,
    type: 'function',
    z: id,
    func: 'msg.payload = "error: " + msg.error.message; return msg;',
    outputs: 1,
    wires: [[`${id}-out`]],
  },
  { id: `${id}-out`, type: 'http response', z: id, statusCode: '', headers: {}, wires: [] },
];

/** What a function node tries to reach the process through; each attempt's outcome in the answer. */
const STEAL = `
const tries = {
  'this.constructor.constructor': () => this.constructor.constructor('return process')(),
  'node.constructor.constructor': () => node.constructor.constructor('return process')(),
  'msg.constructor.constructor': () => msg.constructor.constructor('return process')(),
  'node.send.constructor': () => node.send.constructor('return process')(),
  'Buffer.constructor': () => Buffer.constructor('return process')(),
  'util.constructor.constructor': () => util.constructor.constructor('return this')().process,
  'typeof process': () => typeof process === 'undefined' ? undefined : process,
  'typeof require': () => typeof require === 'undefined' ? undefined : require,
  'global.get': () => global.get('process'),
};
const out = {};
for (const [name, attempt] of Object.entries(tries)) {
  try {
    const got = attempt();
    out[name] = got && got.env ? 'ENV ' + JSON.stringify(got.env) : got === undefined ? 'nothing' : 'got ' + typeof got;
  } catch (err) {
    out[name] = 'refused: ' + err.message;
  }
}
out.env = ['DATABASE_URL', 'NATS_URL', 'REDIS_URL', 'PLANTGRAPH_CONNECTOR_SECRET', 'SHOP_FLOOR_API_TOKEN', 'FLOWS_PROBE_LINE']
  .map((n) => n + '=' + (env.get(n) ?? '')).join(' ');
msg.payload = out;
return msg;`;

describe.each(MODES)('flows in their own process (%s)', (mode) => {
  let hub: TestHub;
  let collector: Server;
  let collectorUrl: string;
  const ticks: { at: number }[] = [];
  const plant = uniqueName('proc');
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    collector = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        ticks.push({ at: Date.now() });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/tick`;
    for (const [name, value] of Object.entries(HUB_ENVIRONMENT)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    try {
      hub = await startTestHub(mode, {
        demo: true,
        simulatorIntervalMs: 0,
        limits: testLimits({ maxCost: 10_000 }),
        ...withFlows(plant, {
          functionTimeoutSeconds: 1,
          process: { ...configFromEnv({}).flows.process, heartbeatIntervalMs: 250, heartbeatTimeoutMs: 2000 },
        }),
      });
    } finally {
      for (const [name, value] of Object.entries(saved))
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await new Promise((r) => collector?.close(r));
  });

  const answer = (path: string) =>
    eventually(
      async () => {
        const res = await endpoint(hub.url, path, hub.localAdminToken);
        return res.status === 200 ? res.text() : null;
      },
      15_000,
      `the endpoint ${path}`,
    );

  it('runs Node-RED in a child whose environment holds nothing of the hub', async () => {
    const pid = hub.flows!.process.pid!;
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const names = environ.map((entry) => entry.split('=')[0]);
    for (const name of ['DATABASE_URL', 'NATS_URL', 'REDIS_URL', 'PLANTGRAPH_CONNECTOR_SECRET', 'SHOP_FLOOR_API_TOKEN'])
      expect(names).not.toContain(name);
    expect(names.filter((n) => n?.startsWith('PLANTGRAPH_'))).toEqual([]);
    expect(environ).toContain('FLOWS_PROBE_LINE=line 1');
    for (const value of SECRET_VALUES) expect(environ.join('\n')).not.toContain(value);
    // Its command line has no credential either: the hub hands it over IPC.
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    expect(argv).toMatch(/--max-old-space-size=\d+/);
    expect(argv).not.toMatch(/pgp_|pgk_/);
  });

  it('gives a function node that reaches for process nothing: refused, or the hidden variables unset', async () => {
    expect((await deploy(hub.url, hub.localAdminToken, endpointFlow('steal', STEAL))).status).toBe(204);
    const text = await answer('/steal');
    const seen = JSON.parse(text) as Record<string, string>;
    // Objects of the hub side of the sandbox lead to the refusing constructor; the sandbox's own to a realm without process.
    for (const route of [
      'this.constructor.constructor',
      'msg.constructor.constructor',
      'Buffer.constructor',
      'util.constructor.constructor',
    ])
      expect(seen[route], route).toMatch(/^refused: Function is not available to flows/);
    for (const route of ['node.constructor.constructor', 'node.send.constructor'])
      expect(seen[route], route).toMatch(/^refused: (Function is not available to flows|process is not defined)/);
    expect(seen['typeof process']).toBe('nothing');
    expect(seen['typeof require']).toBe('nothing');
    expect(seen['global.get']).toBe('nothing');
    expect(seen.env).toBe(
      'DATABASE_URL= NATS_URL= REDIS_URL= PLANTGRAPH_CONNECTOR_SECRET= SHOP_FLOOR_API_TOKEN= FLOWS_PROBE_LINE=line 1',
    );
    for (const value of SECRET_VALUES) expect(text).not.toContain(value);
  });

  it("answers nothing on the child's own port without the hub's proxy", async () => {
    const { port } = hub.flows!.process.target!;
    const direct = await fetch(`http://127.0.0.1:${port}/flows-http/steal`);
    expect(direct.status).toBe(403);
    const forged = await fetch(`http://127.0.0.1:${port}/flows-http/steal`, {
      headers: { 'x-plantgraph-flows-proxy': 'guessed' },
    });
    expect(forged.status).toBe(403);
    // Through the hub, an endpoint still wants a hub credential.
    expect((await endpoint(hub.url, '/steal')).status).toBe(401);
  });

  it("refuses a flow's GraphQL call over the cost limit, as for any client", async () => {
    const costly =
      '{ equipmentList(first: 500) { edges { node { path stateHistory(first: 500) { edges { node { state } } } } } } }';
    const flows = [
      { id: 'hub', type: 'plantgraph-hub', mode: 'embedded' },
      ...endpointFlow('costly', 'msg.payload = undefined; return msg;').map((n) =>
        n.id === 'costly-fn' ? { ...n, type: 'plantgraph-graphql', hub: 'hub', query: costly, func: undefined } : n,
      ),
      ...endpointFlow('cheap', 'return msg;').map((n) =>
        n.id === 'cheap-fn'
          ? { ...n, type: 'plantgraph-graphql', hub: 'hub', query: '{ viewer { name } }', func: undefined }
          : n,
      ),
    ];
    expect((await deploy(hub.url, hub.localAdminToken, flows)).status).toBe(204);
    expect(await answer('/costly')).toMatch(/^error: (Error: )?GraphQL: Query Cost limit of 10000 exceeded/);
    expect(JSON.parse(await answer('/cheap'))).toEqual({ viewer: { name: `flows:${plant}` } });
  });

  it('keeps /healthz under 100 ms and GraphQL answering while a flow keeps its process busy for 20 s', async () => {
    const before = hub.flows!.process.pid;
    const starts = hub.flows!.process.starts;
    const flows = [
      // Synchronous: the function timeout stops it.
      ...endpointFlow('spin', 'const end = Date.now() + 20000; while (Date.now() < end) {} return msg;'),
      // Asynchronous, past the function timeout: only the heartbeat stops it.
      ...endpointFlow(
        'spin-later',
        'setTimeout(() => { const end = Date.now() + 20000; while (Date.now() < end) {} }, 300); msg.payload = "spinning"; return msg;',
      ),
    ];
    expect((await deploy(hub.url, hub.localAdminToken, flows)).status).toBe(204);
    expect(await answer('/spin')).toMatch(/^error: .*timed out/i);

    // Once: each call would start another 20 s.
    expect(await (await endpoint(hub.url, '/spin-later', hub.localAdminToken)).text()).toBe('spinning');
    const times = { healthz: [] as number[], graphql: [] as number[] };
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      let started = performance.now();
      expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
      times.healthz.push(performance.now() - started);
      started = performance.now();
      const { viewer } = await graphql(hub.url, '{ viewer { name } }', undefined, hub.localAdminToken!);
      expect(viewer.name).toBe('api-key:local-admin');
      times.graphql.push(performance.now() - started);
      await sleep(100);
    }
    // Nine in ten under 100 ms, none near a second: the test process shares two busy cores with the
    // child and other suites, so a single slow sample is the scheduler's (in the hub's process the
    // same flow held /healthz for 18.9 s).
    const p90 = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length * 0.9)]!;
    expect(times.healthz.length).toBeGreaterThan(5);
    expect(p90(times.healthz)).toBeLessThan(100);
    expect(Math.max(...times.healthz)).toBeLessThan(1000);
    expect(p90(times.graphql)).toBeLessThan(500);
    expect(Math.max(...times.graphql)).toBeLessThan(1000);
    // The heartbeat went unanswered: the hub stopped the child and started another, with the flows.
    await eventually(
      async () => hub.flows!.process.starts > starts && hub.flows!.process.target,
      15_000,
      'a new child',
    );
    expect(hub.flows!.process.pid).not.toBe(before);
    expect(hub.flows!.leader).toBe(true);
    expect(await answer('/spin')).toMatch(/^error: .*timed out/i);
  }, 60_000);

  it('is back within 5 s of a SIGKILL with its flows running, and keeps the lease', async () => {
    const ticker = tickerFlow(collectorUrl);
    expect((await deploy(hub.url, hub.localAdminToken, ticker)).status).toBe(204);
    await eventually(async () => ticks.length > 3, 10_000, 'the ticker');
    // The spare (started a few seconds after the last takeover) is what answers a kill at once.
    await eventually(async () => hub.flows!.process.spareReady, 20_000, 'the spare');
    const pid = hub.flows!.process.pid!;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    // Ticks in flight at the kill may land just after it; later ones come from the new child.
    await eventually(async () => ticks.some((t) => t.at > killedAt + 100), 10_000, 'ticks after the kill');
    const first = ticks.find((t) => t.at > killedAt + 100)!;
    expect(first.at - killedAt).toBeLessThan(5000);
    expect(hub.flows!.process.pid).not.toBe(pid);
    expect(hub.flows!.leader).toBe(true);
    // The editor is served again on the hub's port, by the new child.
    expect(
      (await fetch(`${hub.url}/flows/flows`, { headers: { authorization: `Bearer ${hub.localAdminToken}` } })).status,
    ).toBe(200);
  }, 30_000);

  it('replaces a child that keeps dying after a doubling wait, and its flows run again', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      errors.push(args.map(String).join(' '));
    });
    const waits = () =>
      errors
        .flatMap((e) => /\[flows\] the flows process \(pid \d+\) ended .* in (\d+) ms/.exec(e)?.[1] ?? [])
        .map(Number);
    let killedAt = 0;
    try {
      let killed = 0;
      // Each child killed as soon as it takes over: none lives long enough to count as healthy.
      for (let i = 0; i < 4; i++) {
        const pid = await eventually(
          async () => (hub.flows!.process.pid !== killed ? hub.flows!.process.pid : null),
          60_000,
          `child ${i + 1}`,
        );
        killedAt = Date.now();
        process.kill(pid, 'SIGKILL');
        killed = pid;
        await eventually(async () => waits().length > i, 10_000, `the hub to see child ${i + 1} end`);
      }
    } finally {
      spy.mockRestore();
    }
    const [, ...later] = waits();
    // The first wait is 50 or 100 ms or more (whether the first child had run a minute); each next one twice the last.
    expect(later).toEqual(later.map((_, i) => waits()[0]! * 2 ** (i + 1)));
    expect(waits()[0]).toBeGreaterThanOrEqual(50);
    await eventually(async () => ticks.some((t) => t.at > killedAt + 100), 60_000, 'ticks after the last kill');
    expect(hub.flows!.leader).toBe(true);
  }, 120_000);
});
