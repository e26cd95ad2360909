import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MODES, graphql, startTestHub, subscribe, uniqueName, type TestHub } from './support/harness.js';
import { adminGet, deploy, endpoint, eventually, helloFlow, withFlows } from './support/flows.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/** The embedded Node-RED on the hub's port: editor, `http in` endpoints, storage, a real MQTT broker. */
describe.each(MODES)('embedded flows (%s)', (mode) => {
  let hub: TestHub;
  const plant = uniqueName('plant');
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0, ...withFlows(plant) });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('serves the editor at /flows and an http in → http response flow at /flows-http on the hub port', async () => {
    expect(hub.flows?.leader).toBe(true);
    const editor = await fetch(`${hub.url}/flows/`);
    expect(editor.status).toBe(200);
    expect(await editor.text()).toMatch(/<title>PlantGraph flows: /);
    expect(
      (await deploy(hub.url, hub.localAdminToken, helloFlow('t1', '/hello', 'hello from the hub port'))).status,
    ).toBe(204);
    const res = await eventually(
      async () => {
        const r = await endpoint(hub.url, '/hello', hub.localAdminToken);
        return r.status === 200 ? r : null;
      },
      10_000,
      'the http in endpoint',
    );
    expect(await res.text()).toBe('hello from the hub port');
    expect((await endpoint(hub.url, '/nothing-here', hub.localAdminToken)).status).toBe(404);
    // The GraphQL API is untouched.
    expect(
      (await graphql(hub.url, '{ equipment(path: "acme") { name } }', undefined, hub.localAdminToken!)).equipment.name,
    ).toBeTruthy();
  });

  it('answers a request taken before a deploy with a 503 to retry, not never', async () => {
    // /held counts the request and waits a minute in a delay node; /held-count tells the count.
    const flows = [
      { id: 'h', type: 'tab', label: 'held' },
      { id: 'h-in', type: 'http in', z: 'h', url: '/held', method: 'get', wires: [['h-mark']] },
      {
        id: 'h-mark',
        type: 'function',
        z: 'h',
        func: "flow.set('held', (flow.get('held') || 0) + 1); return msg;",
        outputs: 1,
        wires: [['h-wait']],
      },
      {
        id: 'h-wait',
        type: 'delay',
        z: 'h',
        pauseType: 'delay',
        timeout: '60',
        timeoutUnits: 'seconds',
        wires: [['h-out']],
      },
      { id: 'h-count-in', type: 'http in', z: 'h', url: '/held-count', method: 'get', wires: [['h-count']] },
      {
        id: 'h-count',
        type: 'function',
        z: 'h',
        func: "msg.payload = String(flow.get('held') || 0); return msg;",
        outputs: 1,
        wires: [['h-out']],
      },
      { id: 'h-out', type: 'http response', z: 'h', statusCode: '', headers: {}, wires: [] },
    ];
    expect((await deploy(hub.url, hub.localAdminToken, flows)).status).toBe(204);
    const heldCount = async () => {
      const res = await endpoint(hub.url, '/held-count', hub.localAdminToken);
      return res.status === 200 ? res.text() : null;
    };
    const before = Number(await eventually(heldCount, 10_000, 'the held flow to run'));
    const held = endpoint(hub.url, '/held', hub.localAdminToken, { signal: AbortSignal.timeout(15_000) });
    const counted = async () => Number(await heldCount()) === before + 1;
    await eventually(counted, 10_000, 'the request to be held in the flow');
    const deployedAt = Date.now();
    expect((await deploy(hub.url, hub.localAdminToken, helloFlow('h2', '/after', 'after'))).status).toBe(204);
    const answer = await held;
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect((await answer.json()).error).toMatch(/stopped \(a deploy or a reload\).*send it again/);
    expect(Date.now() - deployedAt).toBeLessThan(5_000);
  });

  it('keeps graphql-ws at /graphql working next to the editor WebSocket at /flows/comms', async () => {
    const comms = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/flows/comms`);
    const auth = await new Promise<string>((resolve, reject) => {
      comms.once('open', () => comms.send(JSON.stringify({ auth: hub.localAdminToken })));
      comms.once('message', (data) => resolve(data.toString()));
      comms.once('error', reject);
    });
    expect(JSON.parse(auth)).toEqual({ auth: 'ok' });
    const sub = await subscribe(
      hub.url,
      'subscription { equipmentStateChanged(scope: "acme") { path state } }',
      undefined,
      hub.localAdminToken,
    );
    await hub.gql(
      'mutation { setEquipmentState(input: { path: "acme/berlin/assembly/line-1/press-2", state: Maintenance }) { __typename } }',
    );
    const event = await sub.waitFor((e) => e.data.equipmentStateChanged.path === 'acme/berlin/assembly/line-1/press-2');
    expect(event.data.equipmentStateChanged.state).toBe('Maintenance');
    await sub.close();
    expect(comms.readyState).toBe(WebSocket.OPEN);
    comms.close();
    // Anything else is refused.
    const stray = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/elsewhere`);
    await expect(
      new Promise((resolve, reject) => {
        stray.once('open', resolve);
        stray.once('error', reject);
      }),
    ).rejects.toThrow();
  });

  it('stores each deploy as a revision with who deployed it, shown by flowDeployments and audited', async () => {
    const before = (await hub.gql(`{ flowDeployments(plant: "${plant}") { revision } }`)).flowDeployments.length;
    const flows = helloFlow('t2', '/second', 'second');
    expect((await deploy(hub.url, hub.localAdminToken, flows)).status).toBe(204);
    const { flowDeployments } = await hub.gql(
      `{ flowDeployments(plant: "${plant}", first: 5) { revision plant deployedBy deployedAt origin nodeCount sha256 } }`,
    );
    expect(flowDeployments).toHaveLength(Math.min(before + 1, 5));
    expect(flowDeployments[0]).toMatchObject({
      plant,
      deployedBy: 'api-key:local-admin',
      origin: 'editor',
      nodeCount: 3,
    });
    expect(Date.now() - new Date(flowDeployments[0].deployedAt).getTime()).toBeLessThan(30_000);
    const [row] = await hub.db.em
      .fork()
      .execute('select flows from flow_revision where id = ?', [flowDeployments[0].revision]);
    expect(row.flows).toBe(`${JSON.stringify(flows, null, 4)}\n`);
    const trail = await hub.gql(
      `{ auditTrail(entityType: "FlowRevision", entityId: "${flowDeployments[0].revision}") { edges { node { action actor } } } }`,
    );
    expect(trail.auditTrail.edges.map((e: any) => e.node)).toEqual([
      { action: 'FlowsDeployed', actor: 'api-key:local-admin' },
    ]);
    const other = await hub.gql('{ flowDeployments(plant: "no-such-plant") { revision } }');
    expect(other.flowDeployments).toEqual([]);
    // The editor reads back what was stored.
    const read = (await (await adminGet(hub.url, '/flows', hub.localAdminToken)).json()) as any[];
    expect(read.map((n: any) => n.id)).toEqual(flows.map((n) => n.id));
  });

  it('keeps node credentials encrypted in the database', async () => {
    const secret = uniqueName('Plain-Secret-');
    const broker = {
      id: 'b1',
      type: 'mqtt-broker',
      name: 'local',
      broker: '127.0.0.1',
      port: '1883',
      clientid: '',
      autoConnect: false,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
      credentials: { user: 'flow-user', password: secret },
    };
    expect((await deploy(hub.url, hub.localAdminToken, [...helloFlow('t3', '/third', 'x'), broker])).status).toBe(204);
    const [plantRow] = await hub.db.em.fork().execute('select credentials from flow_plant where plant = ?', [plant]);
    expect(plantRow.credentials).not.toContain(secret);
    expect(plantRow.credentials).not.toContain('flow-user');
    expect(Object.keys(JSON.parse(plantRow.credentials))).toEqual(['$']);
    const revisions = await hub.db.em.fork().execute('select flows from flow_revision where plant = ?', [plant]);
    expect(revisions.some((r: any) => r.flows.includes(secret))).toBe(false);
    // The editor is told a password exists, never what it is.
    const creds = (await (await adminGet(hub.url, '/credentials/mqtt-broker/b1', hub.localAdminToken)).json()) as any;
    expect(creds).toMatchObject({ user: 'flow-user', has_password: true });
    expect(JSON.stringify(creds)).not.toContain(secret);
  });

  it('runs an mqtt in node against the real broker (Mosquitto on 127.0.0.1:1883)', async () => {
    const topic = `plantgraph-test/${uniqueName('t')}`;
    const flows = [
      { id: 'm', type: 'tab', label: 'mqtt' },
      {
        id: 'mb',
        type: 'mqtt-broker',
        name: 'mosquitto',
        broker: '127.0.0.1',
        port: '1883',
        clientid: '',
        autoConnect: true,
        usetls: false,
        protocolVersion: '4',
        keepalive: '15',
        cleansession: true,
      },
      // Publish: GET /flows-http/publish?value=… → mqtt out.
      { id: 'm-pub', type: 'http in', z: 'm', url: '/publish', method: 'get', wires: [['m-pub-fn']] },
      {
        id: 'm-pub-fn',
        type: 'function',
        z: 'm',
        func: `msg.res2 = msg.res; msg.topic = ${JSON.stringify(topic)}; msg.payload = msg.req.query.value; return [msg, { res: msg.res, payload: 'published' }];`,
        outputs: 2,
        wires: [['m-out'], ['m-pub-res']],
      },
      { id: 'm-out', type: 'mqtt out', z: 'm', broker: 'mb', topic: '', qos: '1', retain: 'false', wires: [] },
      { id: 'm-pub-res', type: 'http response', z: 'm', wires: [] },
      // Subscribe: mqtt in → remember the last payload; GET /flows-http/last reads it.
      {
        id: 'm-in',
        type: 'mqtt in',
        z: 'm',
        broker: 'mb',
        topic,
        qos: '1',
        datatype: 'utf8',
        nl: false,
        rap: true,
        rh: 0,
        inputs: 0,
        wires: [['m-store']],
      },
      {
        id: 'm-store',
        type: 'function',
        z: 'm',
        func: 'flow.set("last", msg.payload); return null;',
        outputs: 1,
        wires: [[]],
      },
      { id: 'm-get', type: 'http in', z: 'm', url: '/last', method: 'get', wires: [['m-read']] },
      {
        id: 'm-read',
        type: 'function',
        z: 'm',
        func: 'msg.payload = String(flow.get("last") ?? "none"); return msg;',
        outputs: 1,
        wires: [['m-get-res']],
      },
      { id: 'm-get-res', type: 'http response', z: 'm', wires: [] },
    ];
    expect((await deploy(hub.url, hub.localAdminToken, flows)).status).toBe(204);
    const value = uniqueName('v');
    await eventually(
      async () => {
        await endpoint(hub.url, `/publish?value=${value}`, hub.localAdminToken);
        return (await (await endpoint(hub.url, '/last', hub.localAdminToken)).text()) === value;
      },
      15_000,
      'the message to come back through Mosquitto',
    );
  });
});
