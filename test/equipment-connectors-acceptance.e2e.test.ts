import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opcUaConnector } from '@plantgraph/connector-opcua';
import { DataType, sparkplugConnector } from '@plantgraph/connector-sparkplug';
import { OpcUaMachineSimulator } from '@plantgraph/opcua-simulator';
import { SparkplugEdgeNode } from '@plantgraph/sparkplug-simulator';
import { startTestHub, type TestHub, uniqueName } from './support/harness.js';
import { until } from './support/queue.js';
import { configureOpcUa, equipmentState, PRESS, pressMapping } from './support/opcua.js';
import { LINE_1 } from './support/regulated.js';
import { bracketJob, comment, JobControlClient } from './support/opcua-client.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const PRESS_2 = `${LINE_1}/press-2`;

/**
 * Issue 17's "Done when", on one demo hub: an automation engineer adds an OPC UA endpoint and a Sparkplug node
 * through GraphQL, maps their tags to demo equipment, sees states and counts arrive and OEE move, and an OPC UA
 * client starts a work order through Job Control. (Restarts of either server: connector-opcua.e2e and
 * connector-sparkplug.e2e, each losing and duplicating nothing.)
 */
describe('issue 17 done: both connectors on demo equipment, OEE moving, a job started over OPC UA (embedded)', () => {
  let hub: TestHub;
  let sim: OpcUaMachineSimulator;
  let node: SparkplugEdgeNode | null = null;
  let pki: Awaited<ReturnType<typeof JobControlClient.pkiFolder>>;
  let mes: JobControlClient | null = null;
  const oee = async (path: string) => {
    const now = Date.now();
    const { oee } = await hub.gql(
      `query ($s: String!, $from: DateTimeISO!, $to: DateTimeISO!) {
        oee(scope: $s, from: $from, to: $to, groupBy: Equipment) { goodQuantity } }`,
      { s: path, from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 60_000).toISOString() },
    );
    return (oee[0]?.goodQuantity as number | undefined) ?? 0;
  };

  beforeAll(async () => {
    pki = await JobControlClient.pkiFolder();
    sim = await OpcUaMachineSimulator.start({ machines: ['press-1'] });
    hub = await startTestHub('embedded', {
      demo: true,
      simulatorIntervalMs: 0,
      oeeUpdateIntervalMs: 300,
      opcuaPort: 0,
      connectorTypes: [opcUaConnector, sparkplugConnector],
      connectors: { relayIntervalMs: 100 },
    });
    // OEE counts parts only in planned time: a shift all day long, so the demo's breaks cannot hide them.
    await hub.gql('mutation ($i: SetShiftCalendarInput!) { setShiftCalendar(input: $i) { __typename } }', {
      i: { scope: LINE_1, timeZone: 'UTC', shifts: [{ name: 'Day', start: '00:00', end: '00:00' }] },
    });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await mes?.close();
    await node?.stop().catch(() => {});
    await hub?.stop();
    await sim?.stop();
    await pki?.rm();
  });

  it('shows states, counts and OEE from both, and starts a work order through Job Control', async () => {
    const before = { press1: await oee(PRESS), press2: await oee(PRESS_2) };
    expect(await configureOpcUa(hub, 'line-1-opcua', sim, pressMapping())).toEqual({ __typename: 'ConnectorInstance' });
    const group = uniqueName('g');
    const hostId = uniqueName('host');
    const { configureConnector } = await hub.gql(
      `mutation ($i: ConfigureConnectorInput!) { configureConnector(input: $i) { __typename ... on ErrorResult { message } } }`,
      {
        i: {
          name: 'line-1-sparkplug',
          type: 'sparkplug',
          scope: LINE_1,
          grants: [{ role: 'Maintenance', scope: LINE_1 }],
          enabled: true,
          settings: {
            brokerUrl: 'mqtt://127.0.0.1:1883',
            hostId,
            mapping: {
              devices: {
                [`${group}/node-1/press-2`]: {
                  equipment: PRESS_2,
                  metrics: {
                    'Status/Code': { signal: 'state', codes: { '0': 'Idle', '1': 'Running' } },
                    'Counters/Good': { signal: 'good', counter: 'cumulative' },
                  },
                },
              },
            },
          },
        },
      },
    );
    expect(configureConnector).toEqual({ __typename: 'ConnectorInstance' });
    node = new SparkplugEdgeNode({
      brokerUrl: 'mqtt://127.0.0.1:1883',
      group,
      node: 'node-1',
      primaryHostId: hostId,
      devices: {
        'press-2': [
          { name: 'Status/Code', datatype: DataType.Int32, value: 1 },
          { name: 'Counters/Good', datatype: DataType.UInt64, value: 0 },
        ],
      },
    });
    await node.start();

    sim.setState('press-1', 'Running');
    await until(async () => (await equipmentState(hub, PRESS)).state === 'Running', 'press-1 Running', 30_000);
    await until(async () => (await equipmentState(hub, PRESS_2)).state === 'Running', 'press-2 Running', 30_000);
    for (let i = 1; i <= 12; i++) {
      sim.produce('press-1', { good: 1, cycleTimeMs: 900 });
      node.update('press-2', { 'Counters/Good': i });
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(async () => (await oee(PRESS)) === before.press1 + 12, 'OEE of press-1 moved by 12', 30_000);
    await until(async () => (await oee(PRESS_2)) === before.press2 + 12, 'OEE of press-2 moved by 12', 30_000);

    const { createApiKey } = await hub.gql(
      `mutation { createApiKey(input: { name: "line-1-mes", grants: [{ role: Supervisor, scope: "acme/berlin/assembly" }] }) {
        ... on CreatedApiKey { secret } } }`,
    );
    mes = await JobControlClient.connect(hub.jobControl!.endpointUrl, pki.path, createApiKey.secret);
    const receiver = await mes.child(await mes.workCenter(LINE_1), 'JobOrderReceiver');
    const started = await mes.call(receiver, 'StoreAndStart', [
      await mes.jobOrder(bracketJob('DW-17', 617)),
      comment(''),
    ]);
    expect(started.statusCode.name, started.text).toBe('Good');
    const { workOrder } = await hub.gql('{ workOrder(number: "DW-17") { state jobControlState } }');
    expect(workOrder).toEqual({ state: 'InProgress', jobControlState: 'Running' });
  }, 240_000);
});
