/**
 * What a flow may do in the hub's process (issue 13): no host nodes unless allowed, function
 * nodes timed out, `http in` endpoints behind the hub's credentials, and the flows' GraphQL
 * under the same limits as any client's. A real hub with its real Node-RED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MODES, graphql, startTestHub, testLimits, uniqueName, type TestHub } from './support/harness.js';
import { deploy, endpoint, eventually, helloFlow, withFlows } from './support/flows.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const echoCaller = (tab: string, path: string) => [
  { id: tab, type: 'tab', label: tab },
  { id: `${tab}-in`, type: 'http in', z: tab, url: path, method: 'get', wires: [[`${tab}-fn`]] },
  {
    id: `${tab}-fn`,
    type: 'function',
    z: tab,
    func: 'msg.payload = { headers: msg.req.headers, raw: msg.req.rawHeaders }; return msg;',
    outputs: 1,
    wires: [[`${tab}-out`]],
  },
  { id: `${tab}-out`, type: 'http response', z: tab, statusCode: '', headers: {}, wires: [] },
];

describe.each(MODES)('what flows may do (%s)', (mode) => {
  let hub: TestHub;
  let operatorKey: string;
  const plant = uniqueName('guard');
  beforeAll(async () => {
    // In the hub's environment: a setting of the hub's and a variable a flow may use.
    process.env.PLANTGRAPH_GUARD_PROBE = 'hidden';
    process.env.GUARD_LINE_NAME = 'line 1';
    hub = await startTestHub(mode, {
      demo: true,
      simulatorIntervalMs: 0,
      limits: testLimits({ ratePerSecond: 5, rateBurst: 40 }),
      ...withFlows(plant, { functionTimeoutSeconds: 1, publicHttpPaths: ['/open', '/public/*'] }),
    });
    operatorKey = (
      await hub.gql(
        'mutation { createApiKey(input: { name: "andon", grants: [{ role: Operator, scope: "acme/berlin" }] }) { ... on CreatedApiKey { secret } } }',
      )
    ).createApiKey.secret;
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  const deployments = async () =>
    (await hub.gql(`{ flowDeployments(plant: "${plant}", first: 100) { revision } }`)).flowDeployments.length;

  it('loads no host nodes and refuses a deploy with exec, naming it and the setting; the running flows stay', async () => {
    expect((await deploy(hub.url, hub.localAdminToken, helloFlow('ok', '/open', 'still here'))).status).toBe(204);
    const listed = await fetch(`${hub.url}/flows/nodes`, {
      headers: { authorization: `Bearer ${hub.localAdminToken}`, accept: 'application/json' },
    });
    const nodes = (await listed.json()) as { types: string[] }[];
    const types = nodes.flatMap((set) => set.types);
    expect(types).toContain('function');
    for (const hostNode of [
      'exec',
      'file',
      'file in',
      'watch',
      'tcp in',
      'tcp out',
      'tcp request',
      'udp in',
      'udp out',
    ])
      expect(types).not.toContain(hostNode);

    const stored = await deployments();
    const withExec = [
      ...helloFlow('ok', '/open', 'replaced'),
      { id: 'ok-exec', type: 'exec', z: 'ok', name: 'shell', command: 'cat /etc/passwd', wires: [[], [], []] },
    ];
    const refused = await deploy(hub.url, hub.localAdminToken, withExec);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(
      /^Deploy refused: exec "shell" \(id ok-exec\) reaches the hub's host .*PLANTGRAPH_FLOWS_HOST_ACCESS=on \(it grants every flow editor shell access to the hub host\)/,
    );
    // One flow added through the admin API is checked the same way.
    const added = await fetch(`${hub.url}/flows/flow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hub.localAdminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        label: 'files',
        nodes: [{ id: 'f-in', type: 'file in', filename: '/etc/shadow', wires: [[]] }],
      }),
    });
    expect(added.status).toBe(400);
    expect(((await added.json()) as { message: string }).message).toMatch(/file in \(id f-in\) reaches the hub's host/);
    // A function node may not raise its own timeout past the hub's.
    const slow = helloFlow('ok', '/open', 'slow');
    (slow[2] as Record<string, unknown>).timeout = 60;
    const tooSlow = await deploy(hub.url, hub.localAdminToken, slow);
    expect(tooSlow.status).toBe(400);
    expect(((await tooSlow.json()) as { message: string }).message).toMatch(
      /function \(id ok-fn\) with a timeout of 60 s: function nodes may run at most 1 s .*PLANTGRAPH_FLOWS_FUNCTION_TIMEOUT_SECONDS/,
    );

    expect(await deployments()).toBe(stored);
    expect(await (await endpoint(hub.url, '/open')).text()).toBe('still here');
  });

  it('stops a function node busy past the timeout, and the hub answers again', async () => {
    const flows = [
      { id: 'busy', type: 'tab', label: 'busy' },
      { id: 'busy-in', type: 'http in', z: 'busy', url: '/busy', method: 'get', wires: [['busy-fn']] },
      { id: 'busy-fn', type: 'function', z: 'busy', func: 'while (true) {}', outputs: 1, wires: [['busy-out']] },
      { id: 'busy-catch', type: 'catch', z: 'busy', scope: ['busy-fn'], wires: [['busy-err']] },
      {
        id: 'busy-err',
        type: 'function',
        z: 'busy',
        func: 'msg.payload = "stopped: " + msg.error.message; return msg;',
        outputs: 1,
        wires: [['busy-out']],
      },
      { id: 'busy-out', type: 'http response', z: 'busy', statusCode: '', headers: {}, wires: [] },
    ];
    expect((await deploy(hub.url, hub.localAdminToken, flows)).status).toBe(204);
    const started = Date.now();
    const answer = await eventually(
      async () => {
        const res = await endpoint(hub.url, '/busy', hub.localAdminToken);
        return res.status === 404 ? null : res.text();
      },
      15_000,
      'the busy endpoint',
    );
    expect(answer).toMatch(/^stopped: .*timed out/i);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
  });

  it('serves http in endpoints to the hub credentials only, unless the path is public', async () => {
    const flows = [...echoCaller('who', '/who'), ...echoCaller('pub', '/public/who')];
    expect((await deploy(hub.url, hub.localAdminToken, flows)).status).toBe(204);
    await eventually(
      async () => (await endpoint(hub.url, '/who', hub.localAdminToken)).status === 200,
      10_000,
      'the endpoint',
    );

    const anonymous = await endpoint(hub.url, '/who');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await anonymous.json()) as { error: string }).error).toMatch(
      /Authentication required.*This flow endpoint is not public \(see PLANTGRAPH_FLOWS_PUBLIC_HTTP\)/,
    );
    expect((await endpoint(hub.url, '/who', 'pgk_nope_0000000000000000')).status).toBe(401);
    // Endpoints that do not exist are not told apart from existing ones before authentication.
    expect((await endpoint(hub.url, '/nothing-here')).status).toBe(401);
    // A WebSocket to the flows' endpoints passes the same door.
    const upgrade = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/flows-http/ws/who`);
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => reject(new Error('opened without a credential')));
      socket.once('error', () => {});
    });
    expect(upgrade).toBe(401);

    // Authenticated: the flow learns who called, never the credential, and cannot be told a made-up caller.
    const called = await endpoint(hub.url, '/who', operatorKey, { headers: { 'x-plantgraph-principal': 'user:ceo' } });
    expect(called.status).toBe(200);
    const seen = (await called.json()) as { headers: Record<string, string>; raw: string[] };
    expect(seen.headers['x-plantgraph-principal']).toBe('api-key:andon');
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.raw.join('\n')).not.toContain(operatorKey);
    expect(seen.raw.filter((h) => h.toLowerCase() === 'x-plantgraph-principal')).toHaveLength(1);

    // A public endpoint answers anyone, and still never sees a credential sent to it.
    const open = await endpoint(hub.url, '/public/who', operatorKey);
    expect(open.status).toBe(200);
    const openSeen = (await open.json()) as { headers: Record<string, string>; raw: string[] };
    expect(openSeen.headers.authorization).toBeUndefined();
    expect(openSeen.headers['x-plantgraph-principal']).toBeUndefined();
    expect((await endpoint(hub.url, '/public/who')).status).toBe(200);

    // The deploy's endpoints, and which of them this hub serves to anyone.
    const { flowDeployments } = await hub.gql(
      `{ flowDeployments(plant: "${plant}", first: 1) { httpEndpoints { method path public } } }`,
    );
    expect(flowDeployments[0].httpEndpoints).toEqual([
      { method: 'GET', path: '/who', public: false },
      { method: 'GET', path: '/public/who', public: true },
    ]);
  });

  it("hides the hub's settings and secrets in its environment from flows", async () => {
    const flows = [
      { id: 'env', type: 'tab', label: 'env' },
      { id: 'env-in', type: 'http in', z: 'env', url: '/env', method: 'get', wires: [['env-fn']] },
      {
        id: 'env-fn',
        type: 'function',
        z: 'env',
        func:
          "msg.payload = ['PLANTGRAPH_GUARD_PROBE', 'GUARD_LINE_NAME', 'DATABASE_URL', 'NATS_URL', 'PATH']" +
          '.map((n) => n + "=" + (env.get(n) === undefined ? "" : "set")).join(" "); return msg;',
        outputs: 1,
        wires: [['env-out']],
      },
      { id: 'env-out', type: 'http response', z: 'env', statusCode: '', headers: {}, wires: [] },
    ];
    expect((await deploy(hub.url, hub.localAdminToken, flows)).status).toBe(204);
    const seen = await eventually(
      async () => {
        const res = await endpoint(hub.url, '/env', hub.localAdminToken);
        return res.status === 200 ? res.text() : null;
      },
      10_000,
      'the env endpoint',
    );
    expect(seen).toBe('PLANTGRAPH_GUARD_PROBE= GUARD_LINE_NAME=set DATABASE_URL= NATS_URL= PATH=set');
  });

  it("holds the flows' GraphQL to the rate limit of every client", async () => {
    const connection = hub.flows!.embedded.connect();
    try {
      const answers = await Promise.all(Array.from({ length: 60 }, () => connection.graphql('{ viewer { name } }')));
      const limited = answers.filter((a) => a.errors?.[0]?.message.startsWith('Rate limit reached'));
      const ran = answers.filter((a) => a.data?.viewer?.name === `flows:${plant}`);
      expect(limited.length).toBeGreaterThan(0);
      expect(ran.length).toBeGreaterThan(0);
      expect(limited.length + ran.length).toBe(60);
      expect(limited[0]!.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    } finally {
      await connection.close();
    }
    // Other callers keep their own budget.
    expect((await graphql(hub.url, '{ viewer { name } }', undefined, operatorKey)).viewer.name).toBe('api-key:andon');
  });
});
