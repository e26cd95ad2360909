import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoFlows } from '@plantgraph/demo';
import { configFromEnv } from '@plantgraph/hub';
import { MODES, startTestHub, subscribe, uniqueName, type TestHub } from './support/harness.js';
import { deploy, endpoint, eventually, withFlows } from './support/flows.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';
const PRESS = 'acme/berlin/assembly/line-1/press-1';
const WELDER = 'acme/berlin/assembly/line-1/welder-1';
const ALERTS =
  'subscription { alertRaised(scope: "acme", minSeverity: Info) { type path title severity escalationLevel actor } }';

/**
 * The demo plant's shipped flows (flows/plants/demo.json) on the embedded Node-RED with the real
 * Mosquitto broker: MQTT tags → equipment states and counts → alert rules → hub alerts that reach
 * subscribers, escalate and clear. An engineer's edit (a unique topic prefix so parallel runs do
 * not meet, and seconds instead of minutes) is deployed through the editor's admin API.
 */
describe.each(MODES)('demo plant flows (%s)', (mode) => {
  let hub: TestHub;
  let machines: mqtt.MqttClient;
  const prefix = uniqueName('demo');
  beforeAll(async () => {
    hub = await startTestHub(mode, {
      demo: true,
      simulatorIntervalMs: 0,
      demoMqttUrl: MOSQUITTO,
      alertEscalateAfterSeconds: 2,
      alertEscalationCheckMs: 200,
      // The installation's default grants for the flows (engineer and gateway), as `npm start` runs them.
      ...withFlows(uniqueName('demo'), { grants: configFromEnv({}).flows.grants }),
    });
    machines = await mqtt.connectAsync(MOSQUITTO);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await machines?.endAsync();
    await hub?.stop();
  });

  const tag = (path: string, name: string, value: string | number) =>
    machines.publishAsync(`${prefix}/${path}/${name}`, String(value), { qos: 1 });
  const alert = async (path: string, text: string) =>
    (
      await hub.gql(
        `{ alerts(filter: { pathPrefix: "${path}" }) { edges { node { id title state escalationLevel raisedBy } } } }`,
      )
    ).alerts.edges
      .map((e: any) => e.node)
      .find((a: any) => a.title.includes(text));

  it("ships the demo flows as the plant's first revision, and takes an engineer's edit", async () => {
    const shipped = readFileSync(new URL('../flows/plants/demo.json', import.meta.url), 'utf8');
    const stored = await hub.services.flows.current(hub.flows!.plant);
    // As shipped, with the demo's broker written in for the variable (no process environment involved).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Node-RED's own ${VAR} placeholder, literally
    expect(stored!.flows).toBe(shipped.replace('"broker": "${PLANTGRAPH_DEMO_MQTT_URL}"', `"broker": "${MOSQUITTO}"`));
    expect(stored!.flows).not.toContain('${');
    const edited = JSON.parse(stored!.flows.replaceAll('plantgraph-demo/', `${prefix}/`)) as Record<string, unknown>[];
    for (const node of edited) {
      if (node.id === 'demo-down-rule') Object.assign(node, { duration: '2', durationUnit: 's' });
    }
    expect((await deploy(hub.url, hub.localAdminToken, edited)).status).toBe(204);
    const { flowDeployments } = await hub.gql(
      `{ flowDeployments(plant: "${hub.flows!.plant}") { deployedBy origin } }`,
    );
    expect(flowDeployments).toEqual([
      { deployedBy: 'api-key:local-admin', origin: 'editor' },
      { deployedBy: 'demo', origin: 'cli' },
    ]);
  });

  it('stores its flows again for another broker only while they are its own', async () => {
    const plant = uniqueName('demo');
    const store = hub.services.flows;
    expect(await seedDemoFlows(store, plant, 'mqtt://127.0.0.1:1884')).toBe('stored');
    expect(await seedDemoFlows(store, plant, 'mqtt://127.0.0.1:1884')).toBe('kept');
    // A start whose embedded broker got another port.
    expect(await seedDemoFlows(store, plant, 'mqtt://127.0.0.1:41234')).toBe('updated');
    expect((await store.current(plant))!.flows).toContain('"broker": "mqtt://127.0.0.1:41234"');
    const engineers = (await store.current(plant))!.flows.replace('mqtt://127.0.0.1:41234', 'mqtt://plc-gateway:1883');
    await store.saveRevision(plant, engineers, 'api-key:local-admin', 'editor');
    expect(await seedDemoFlows(store, plant, 'mqtt://127.0.0.1:1884')).toBe('kept');
    expect((await store.current(plant))!.flows).toBe(engineers);
    expect((await store.revisions(plant, 10)).map((r) => r.deployedBy)).toEqual([
      'api-key:local-admin',
      'demo',
      'demo',
    ]);
  });

  it('maps machine tags to equipment states and raises, escalates and clears "down too long"', async () => {
    const board = await subscribe(hub.url, ALERTS, undefined, hub.localAdminToken);
    await tag(PRESS, 'state', 1);
    await eventually(
      async () => (await hub.gql(`{ equipment(path: "${PRESS}") { state } }`)).equipment.state === 'Running',
      15_000,
      'the press to run',
    );
    await tag(PRESS, 'state', 2); // Down: JAM
    await eventually(
      async () =>
        (await hub.gql(`{ equipment(path: "${PRESS}") { state stateReason } }`)).equipment.stateReason === 'JAM',
      10_000,
      'the press to be down',
    );
    const raised = (
      await board.waitFor((e) => e.data.alertRaised.type === 'AlertRaised' && e.data.alertRaised.path === PRESS, 10_000)
    ).data.alertRaised;
    expect(raised).toMatchObject({
      severity: 'High',
      title: expect.stringMatching(/down longer than/),
      actor: expect.stringMatching(/^flows:/),
    });
    await board.waitFor(
      (e) => e.data.alertRaised.type === 'AlertEscalated' && e.data.alertRaised.path === PRESS,
      10_000,
    );
    await tag(PRESS, 'state', 1);
    await eventually(
      async () => (await alert(PRESS, 'down longer than'))?.state === 'Cleared',
      10_000,
      'the alert to clear',
    );
    expect((await alert(PRESS, 'down longer than')).escalationLevel).toBeGreaterThanOrEqual(1);
    await board.close();
  });

  it('counts parts from cumulative counters and raises and clears the scrap-rate alert', async () => {
    for (const [name, value] of [
      ['good', 0],
      ['scrap', 0],
      ['good', 100],
      ['scrap', 10],
    ] as const)
      await tag(WELDER, name, value);
    const raised = await eventually(async () => alert(WELDER, 'scrap rate'), 10_000, 'the scrap-rate alert');
    expect(raised).toMatchObject({ state: 'Active', raisedBy: expect.stringMatching(/^flows:/) });
    // The title says the rate and the limit it is above.
    expect(raised.title).toBe(`${WELDER}: scrap rate 9.09% above 5% over 10 min`);
    // The rule fires once the signals are on the durable stream; the ingest may store them a moment later.
    const sums = () =>
      hub.db.em
        .fork()
        .execute<{ good: number; scrap: number }[]>(
          'select coalesce(sum(good), 0)::int as good, coalesce(sum(scrap), 0)::int as scrap from production_count where path = ?',
          [WELDER],
        );
    const counted = await eventually(
      async () => {
        const rows = await sums();
        return rows[0]?.scrap ? rows : null;
      },
      10_000,
      'the counts to be stored',
    );
    expect(counted).toEqual([{ good: 100, scrap: 10 }]);
    await tag(WELDER, 'good', 3000);
    await eventually(
      async () => (await alert(WELDER, 'scrap rate'))?.state === 'Cleared',
      10_000,
      'the scrap-rate alert to clear',
    );
  });

  it("lets an engineer deploy the demo's flows and the nodes' example, and nothing that reaches the host", async () => {
    const { createApiKey } = await hub.gql(
      'mutation { createApiKey(input: { name: "flow-engineer", grants: [{ role: Engineer, scope: "*" }] }) { ... on CreatedApiKey { secret } } }',
    );
    const engineer = createApiKey.secret as string;
    const shipped = readFileSync(new URL('../flows/plants/demo.json', import.meta.url), 'utf8')
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Node-RED's own ${VAR} placeholder, literally
      .replace('"broker": "${PLANTGRAPH_DEMO_MQTT_URL}"', `"broker": "${MOSQUITTO}"`)
      .replaceAll('plantgraph-demo/', `${prefix}/`);
    const example = readFileSync(
      new URL('../flows/node-red/examples/Machine over MQTT to the hub.json', import.meta.url),
      'utf8',
    );
    // As the example's own note says: inside a hub, its hub config is Embedded; its topics get this run's prefix.
    const exampleNodes = (JSON.parse(example.replaceAll('"acme/press-1/', `"${prefix}/example/`)) as any[]).map((n) =>
      n.type === 'plantgraph-hub' ? { id: n.id, type: n.type, name: n.name, mode: 'embedded' } : n,
    );
    const both = [...(JSON.parse(shipped) as unknown[]), ...exampleNodes];
    expect((await deploy(hub.url, engineer, both)).status).toBe(204);
    const { flowDeployments } = await hub.gql(
      `{ flowDeployments(plant: "${hub.flows!.plant}", first: 1) { deployedBy } }`,
    );
    expect(flowDeployments).toEqual([{ deployedBy: 'api-key:flow-engineer' }]);

    const withExec = [...both, { id: 'eng-exec', type: 'exec', z: 'demo-wiring', command: 'id', wires: [[], [], []] }];
    const refused = await deploy(hub.url, engineer, withExec);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/exec .*reaches the hub's host/);
    expect(
      (await hub.gql(`{ flowDeployments(plant: "${hub.flows!.plant}") { revision } }`)).flowDeployments,
    ).toHaveLength(3);
  });

  it('lets no flow lift a maintenance interlock its engineer may not: the flows hold no MaintainEquipment', async () => {
    const { createApiKey } = await hub.gql(
      'mutation { createApiKey(input: { name: "flow-engineer-2", grants: [{ role: Engineer, scope: "*" }] }) { ... on CreatedApiKey { secret } } }',
    );
    const engineer = createApiKey.secret as string;
    const CONDITION = `{ equipment(path: "${WELDER}") { condition conditionRecords { id } } }`;
    const { r } = await hub.gql(
      `mutation { r: recordEquipmentCondition(input: { path: "${WELDER}", condition: UnderMaintenance, reason: "Torch cable worn" }) { __typename ... on EquipmentConditionRecord { id } } }`,
    );
    const clear = `mutation { r: clearEquipmentCondition(input: { id: "${r.id}", clearance: "cleared by a flow" }) { __typename } }`;
    const flows = [
      { id: 'lift-hub', type: 'plantgraph-hub', mode: 'embedded' },
      { id: 'lift', type: 'tab', label: 'lift' },
      { id: 'lift-in', type: 'http in', z: 'lift', url: '/lift', method: 'get', wires: [['lift-q']] },
      { id: 'lift-q', type: 'plantgraph-graphql', z: 'lift', hub: 'lift-hub', query: clear, wires: [['lift-out']] },
      { id: 'lift-catch', type: 'catch', z: 'lift', scope: ['lift-q'], wires: [['lift-err']] },
      {
        id: 'lift-err',
        type: 'function',
        z: 'lift',
        func: 'msg.payload = "error: " + msg.error.message; return msg;',
        outputs: 1,
        wires: [['lift-out']],
      },
      { id: 'lift-out', type: 'http response', z: 'lift', statusCode: '', headers: {}, wires: [] },
    ];
    expect((await deploy(hub.url, engineer, flows)).status).toBe(204);
    const answer = await eventually(
      async () => {
        const res = await endpoint(hub.url, '/lift', engineer);
        return res.status === 200 ? res.text() : null;
      },
      15_000,
      'the flow endpoint',
    );
    expect(answer).toMatch(/^error: .*not allowed to use Mutation.clearEquipmentCondition \(needs MaintainEquipment\)/);
    expect((await hub.gql(CONDITION)).equipment).toEqual({
      condition: 'UnderMaintenance',
      conditionRecords: [{ id: r.id }],
    });
  });
});
