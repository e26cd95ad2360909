/**
 * The remote connection against a real hub (embedded mode, demo plant): GraphQL over HTTP for
 * signals, flow events and alerts, graphql-ws for hub events; also through the Node-RED nodes
 * with a remote hub config node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../../test/support/harness.js';
import type { HubConnection, HubEvent } from '../src/hub-connection.js';
import { createRemoteConnection } from '../src/remote-connection.js';
import { helper, initRuntime, nodes, until } from './support/red.js';

const PRESS_1 = 'acme/berlin/assembly/line-1/press-1';
const PRESS_2 = 'acme/berlin/assembly/line-1/welder-1';
const source = `remote-test-${Date.now()}`;
let seq = Date.now() * 1000;

describe('remote hub connection', () => {
  let hub: TestHub;
  let remote: HubConnection;
  beforeAll(async () => {
    hub = await startTestHub('embedded', { demo: true, simulatorIntervalMs: 0 });
    remote = createRemoteConnection({ url: hub.url, apiKey: hub.localAdminToken! });
  });
  afterAll(async () => {
    await remote?.close();
    await hub?.stop();
  });

  const stateOf = async (path: string) =>
    (await hub.gql(`query ($p: String!) { equipment(path: $p) { state stateReason } }`, { p: path })).equipment;

  it('publishes signals of all kinds in batches; a refused signal fails alone', async () => {
    const sent = [
      remote.publishSignal('state', PRESS_1, { source, sequence: ++seq, state: 'Down', reason: 'JAM' }),
      remote.publishSignal('count', PRESS_1, { source, sequence: ++seq, good: 10, scrap: 2 }),
      remote.publishSignal('cycle', PRESS_1, { source, sequence: ++seq, cycleTimeMs: 5200 }),
      remote.publishSignal('value', PRESS_2, { source, sequence: ++seq, name: 'current', value: 812.5, unit: 'A' }),
      remote.publishSignal('state', PRESS_2, { source, sequence: ++seq, state: 'Down' }), // no reason: refused
      remote.publishSignal('state', 'acme/berlin/nowhere', { source, sequence: ++seq, state: 'Idle' }), // no such equipment
    ];
    const results = await Promise.allSettled(sent);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ]);
    expect(String((results[4] as PromiseRejectedResult).reason)).toMatch(/InvalidInput \(signals\[4\]\).*reason/);
    expect(String((results[5] as PromiseRejectedResult).reason)).toMatch(/NotFound.*acme\/berlin\/nowhere/);
    for (let i = 0; i < 100 && (await stateOf(PRESS_1)).state !== 'Down'; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await stateOf(PRESS_1)).toEqual({ state: 'Down', stateReason: 'JAM' });
  });

  it('sends 450 signals in three publishSignals mutations (200 per batch)', async () => {
    const before = (await hub.gql('{ signalIngest { received } }')).signalIngest.received;
    const realFetch = globalThis.fetch;
    let mutations = 0;
    globalThis.fetch = (input, init) => {
      if (String(init?.body).includes('publishSignals')) mutations++;
      return realFetch(input, init);
    };
    try {
      await Promise.all(
        Array.from({ length: 450 }, () => remote.publishSignal('count', PRESS_1, { source, sequence: ++seq, good: 1 })),
      );
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(mutations).toBe(3);
    for (
      let i = 0;
      i < 100 && (await hub.gql('{ signalIngest { received } }')).signalIngest.received < before + 450;
      i++
    )
      await new Promise((r) => setTimeout(r, 100));
    expect((await hub.gql('{ signalIngest { received } }')).signalIngest.received - before).toBe(450);
  });

  it('subscribes to hub events and publishes flow events', async () => {
    const events: HubEvent[] = [];
    const errors: Error[] = [];
    const end = remote.subscribeEvents(
      'acme/berlin/assembly',
      ['ScrapRateHigh'],
      (e) => events.push(e),
      (e) => errors.push(e),
    );
    try {
      // The subscription opens asynchronously: publish until the first event arrives.
      for (let i = 0; i < 30 && !events.length; i++) {
        await remote.publishEvent('ScrapRateHigh', PRESS_1, { rate: 0.07 });
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(errors).toEqual([]);
      expect(events[0]).toMatchObject({
        type: 'ScrapRateHigh',
        path: PRESS_1,
        subject: expect.stringMatching(/\.event\.flow\.ScrapRateHigh\.acme\.berlin\.assembly\.line-1\.press-1$/),
        data: { type: 'ScrapRateHigh', path: PRESS_1, data: { rate: 0.07 } },
      });
    } finally {
      end();
    }
    await expect(remote.publishEvent('ScrapRateHigh', 'acme/berlin/nowhere', {})).rejects.toThrow(/NotFound/);
  });

  it('reports a refused subscription and GraphQL errors', async () => {
    const error = await new Promise<Error>((resolve) => remote.subscribeEvents('not a path!', [], () => {}, resolve));
    expect(error.message).toMatch(/is not an equipment path/);
    const bad = createRemoteConnection({ url: hub.url, apiKey: 'pgk_wrong' });
    try {
      const refused = await new Promise<Error>((resolve) => bad.subscribeEvents('*', [], () => {}, resolve));
      expect(refused.message).toBeTruthy();
      expect((await bad.graphql('{ __typename }')).errors?.length).toBeGreaterThan(0);
    } finally {
      await bad.close();
    }
    expect((await remote.graphql('{ nope }')).errors?.[0]?.message).toMatch(/nope/);
  });

  describe('through Node-RED with a remote hub node', () => {
    beforeAll(() => initRuntime({ plantgraph: undefined }));
    afterAll(async () => {
      await helper.unload();
    });

    it('maps machine values to signals and raises and clears real alerts', async () => {
      await helper.load(
        nodes,
        [
          { id: 'hub', type: 'plantgraph-hub', mode: 'remote', url: hub.url },
          {
            id: 'sig',
            type: 'plantgraph-equipment-signal',
            hub: 'hub',
            kind: 'state',
            path: PRESS_2,
            stateMap: '1=Running,0=Idle',
            wires: [],
          },
          {
            id: 'temp',
            type: 'plantgraph-alert-rule',
            hub: 'hub',
            rule: 'threshold',
            high: '80',
            hysteresis: '5',
            severity: 'High',
            title: '{{path}} at {{value}} °C',
            wires: [['out']],
          },
          { id: 'out', type: 'helper' },
        ],
        { hub: { apiKey: hub.localAdminToken } },
      );
      helper.getNode('sig').receive({ payload: 0 });
      for (let i = 0; i < 100 && (await stateOf(PRESS_2)).state !== 'Idle'; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect((await stateOf(PRESS_2)).state).toBe('Idle');

      const outputs: any[] = [];
      helper.getNode('out').on('input', (m) => outputs.push(m.payload));
      helper.getNode('temp').receive({ path: PRESS_1, payload: 91 });
      await until(() => outputs.length === 1, 10_000, 'the raise');
      const open = (
        await hub.gql(
          `{ alerts(filter: { pathPrefix: "${PRESS_1}", state: [Active] }) { edges { node { id deduplicationKey severity title state } } } }`,
        )
      ).alerts.edges.map((e: any) => e.node);
      expect(open).toEqual([
        {
          id: outputs[0].alertId,
          deduplicationKey: `temp:${PRESS_1}`,
          severity: 'High',
          title: `${PRESS_1} at 91 °C`,
          state: 'Active',
        },
      ]);
      helper.getNode('temp').receive({ path: PRESS_1, payload: 70 });
      await until(() => outputs.length === 2, 10_000, 'the clear');
      expect(
        (await hub.gql(`query ($id: ID!) { alert(id: $id) { state } }`, { id: outputs[0].alertId })).alert.state,
      ).toBe('Cleared');
    });
  });
});
