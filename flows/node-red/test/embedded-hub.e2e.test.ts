/**
 * The nodes in the hub's own Node-RED (embedded mode, the real EmbeddedHub of the hub): a flow
 * deployed through the editor API maps HTTP-posted machine values to equipment state, raises a
 * real alert, and follows hub events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, subscribe, uniqueName, type TestHub } from '../../../test/support/harness.js';
import { deploy, endpoint, eventually, withFlows } from '../../../test/support/flows.js';

const PRESS_3 = 'acme/berlin/assembly/line-2/press-3';

const flow = [
  { id: 'pg', type: 'tab', label: 'plantgraph nodes' },
  { id: 'pghub', type: 'plantgraph-hub', mode: 'embedded' },
  { id: 'state-in', type: 'http in', z: 'pg', url: '/pg/state', method: 'post', wires: [['state-signal']] },
  {
    id: 'state-signal',
    type: 'plantgraph-equipment-signal',
    z: 'pg',
    hub: 'pghub',
    kind: 'state',
    path: PRESS_3,
    stateMap: '1=Running,0=Idle,2=Down:JAM',
    passthrough: true,
    wires: [['state-out']],
  },
  { id: 'state-out', type: 'http response', z: 'pg', statusCode: '', headers: {}, wires: [] },
  { id: 'temp-in', type: 'http in', z: 'pg', url: '/pg/temp', method: 'post', wires: [['temp-rule', 'temp-out']] },
  {
    id: 'temp-rule',
    type: 'plantgraph-alert-rule',
    z: 'pg',
    hub: 'pghub',
    rule: 'threshold',
    property: 'payload.value',
    high: '80',
    hysteresis: '5',
    severity: 'High',
    title: '{{path}} at {{value}} °C',
    wires: [[]],
  },
  { id: 'temp-out', type: 'http response', z: 'pg', statusCode: '', headers: {}, wires: [] },
  {
    id: 'events',
    type: 'plantgraph-event-in',
    z: 'pg',
    hub: 'pghub',
    scope: 'acme/berlin/assembly',
    types: 'EquipmentStateChanged',
    wires: [['seen']],
  },
  { id: 'seen', type: 'plantgraph-event-out', z: 'pg', hub: 'pghub', eventType: 'StateSeen', path: '', wires: [] },
];

describe("the nodes in the hub's embedded Node-RED", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub('embedded', { demo: true, simulatorIntervalMs: 0, ...withFlows(uniqueName('plant')) });
  }, 120_000);
  afterAll(async () => {
    await hub?.stop();
  });

  it('publishes signals, raises alerts and follows events as the flows principal', async () => {
    const seen = await subscribe(
      hub.url,
      'subscription ($types: [String!]) { hubEvents(scope: "*", types: $types) { type path data } }',
      { types: ['StateSeen'] },
      hub.localAdminToken,
    );
    expect((await deploy(hub.url, hub.localAdminToken, flow)).status).toBe(204);
    const post = (path: string, body: string, type = 'text/plain') =>
      endpoint(hub.url, path, hub.localAdminToken, { method: 'POST', headers: { 'content-type': type }, body });

    // http in → equipment signal → the hub's ingest → the equipment's state.
    await eventually(async () => (await post('/pg/state', '2')).status === 200, 10_000, 'the state endpoint');
    const state = await eventually(
      async () => {
        const { equipment } = await hub.gql(`{ equipment(path: "${PRESS_3}") { state stateReason } }`);
        return equipment.state === 'Down' ? equipment : null;
      },
      10_000,
      'the Down state',
    );
    expect(state).toEqual({ state: 'Down', stateReason: 'JAM' });

    // event in saw the state change and event out published it as a flow event.
    const event = (await seen.waitFor((e) => e.data.hubEvents.path === PRESS_3)).data.hubEvents;
    expect(JSON.parse(event.data)).toMatchObject({
      type: 'StateSeen',
      path: PRESS_3,
      data: { type: 'EquipmentStateChanged', path: PRESS_3, state: 'Down', reason: 'JAM' },
    });
    await seen.close();

    // alert rule: a real alert raised with the flows' identity, then cleared.
    expect((await post('/pg/temp', JSON.stringify({ path: PRESS_3, value: 91 }), 'application/json')).status).toBe(200);
    const alert = await eventually(
      async () =>
        (
          await hub.gql(
            `{ alerts(filter: { pathPrefix: "${PRESS_3}" }) { edges { node { id title severity state raisedBy deduplicationKey } } } }`,
          )
        ).alerts.edges[0]?.node,
      10_000,
      'the alert',
    );
    expect(alert).toMatchObject({
      title: `${PRESS_3} at 91 °C`,
      severity: 'High',
      state: 'Active',
      deduplicationKey: `temp-rule:${PRESS_3}`,
    });
    expect(alert.raisedBy).toMatch(/flows/);
    await post('/pg/temp', JSON.stringify({ path: PRESS_3, value: 60 }), 'application/json');
    await eventually(
      async () => (await hub.gql(`{ alert(id: "${alert.id}") { state } }`)).alert.state === 'Cleared',
      10_000,
      'the clear',
    );
  });
});
