import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import mqtt from 'mqtt';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RecordingHub } from './support/fake-hub.js';
import { freshHub, helper, HUB, initRuntime, next, nodes, until } from './support/red.js';

// Node-RED's own MQTT nodes, on the Mosquitto broker of this machine. (Node ids must not equal any
// property value, e.g. kind 'state': Node-RED would take it for a config node reference.)
const require = createRequire(import.meta.url);
const mqttNodes = require('@node-red/nodes/core/network/10-mqtt.js') as unknown;
const BROKER = process.env.PLANTGRAPH_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

let hub: RecordingHub;
beforeAll(() => initRuntime());
beforeEach(() => {
  hub = freshHub();
});
afterEach(async () => {
  await helper.unload();
});

describe('mqtt in → equipment signal', () => {
  it('maps machine states and counts published on MQTT topics to equipment signals', async () => {
    const prefix = `pgtest-${randomBytes(4).toString('hex')}`;
    const url = new URL(BROKER);
    await helper.load(
      [mqttNodes, ...nodes],
      [
        HUB,
        {
          id: 'broker',
          type: 'mqtt-broker',
          broker: url.hostname,
          port: url.port || '1883',
          clientid: '',
          autoConnect: true,
          usetls: false,
          protocolVersion: '4',
          keepalive: '15',
          cleansession: true,
        },
        {
          id: 'states',
          type: 'mqtt in',
          topic: `${prefix}/+/+/state`,
          qos: '1',
          datatype: 'auto-detect',
          broker: 'broker',
          nl: false,
          rap: true,
          rh: 0,
          inputs: 0,
          wires: [['stateSignal']],
        },
        {
          id: 'counts',
          type: 'mqtt in',
          topic: `${prefix}/+/+/total`,
          qos: '1',
          datatype: 'auto-detect',
          broker: 'broker',
          nl: false,
          rap: true,
          rh: 0,
          inputs: 0,
          wires: [['countSignal']],
        },
        {
          id: 'stateSignal',
          type: 'plantgraph-equipment-signal',
          hub: 'hub',
          kind: 'state',
          stateMap: '1=Running,0=Idle,2=Down:JAM',
          topicMapping: `${prefix}/{line}/{machine}/state => acme/berlin/assembly/{line}/{machine}`,
          wires: [],
        },
        {
          id: 'countSignal',
          type: 'plantgraph-equipment-signal',
          hub: 'hub',
          kind: 'count',
          countMode: 'cumulative',
          topicMapping: `${prefix}/{line}/{machine}/total => acme/berlin/assembly/{line}/{machine}`,
          wires: [],
        },
      ],
    );
    await Promise.all(
      ['states', 'counts'].map((id) =>
        next(
          helper.getNode(id),
          'call:status',
          (call: { args: [{ text?: string }] }) =>
            /connected/.test(call.args[0]?.text ?? '') && !/disconnected|connecting/.test(call.args[0]?.text ?? ''),
          10_000,
        ),
      ),
    );

    const client = await mqtt.connectAsync(BROKER);
    try {
      await client.publishAsync(`${prefix}/line-1/press-1/state`, '1', { qos: 1 });
      await client.publishAsync(`${prefix}/line-2/press-4/state`, '2', { qos: 1 });
      for (const total of ['5000', '5007', '12'])
        await client.publishAsync(`${prefix}/line-1/press-1/total`, total, { qos: 1 });
      await until(() => hub.signals.length === 4, 10_000, 'four signals');
    } finally {
      await client.endAsync();
    }
    const byKind = (kind: string) =>
      hub.signals
        .filter((s) => s.kind === kind)
        .map((s) => ({
          path: s.path,
          state: s.body.state,
          reason: s.body.reason,
          good: s.body.good,
          source: s.body.source,
        }));
    expect(byKind('state')).toEqual(
      expect.arrayContaining([
        {
          path: 'acme/berlin/assembly/line-1/press-1',
          state: 'Running',
          reason: undefined,
          good: undefined,
          source: 'node-red:stateSignal',
        },
        {
          path: 'acme/berlin/assembly/line-2/press-4',
          state: 'Down',
          reason: 'JAM',
          good: undefined,
          source: 'node-red:stateSignal',
        },
      ]),
    );
    // 5000 is the baseline; 5007 adds 7; 12 after a counter reset adds 12.
    expect(byKind('count').map((s) => [s.path, s.good])).toEqual([
      ['acme/berlin/assembly/line-1/press-1', 7],
      ['acme/berlin/assembly/line-1/press-1', 12],
    ]);
  });
});
