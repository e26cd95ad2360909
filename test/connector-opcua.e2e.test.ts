import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opcUaConnector } from '@plantgraph/connector-opcua';
import { nodeId, OpcUaMachineSimulator } from '@plantgraph/opcua-simulator';
import { MODES, type Mode, startTestHub, type TestHub } from './support/harness.js';
import { until } from './support/queue.js';
import { browse, configureOpcUa, equipmentState, health, PRESS, stored } from './support/opcua.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const LINE = 'acme/berlin/assembly/line-1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const oee = async (hub: TestHub, path: string) => {
  const now = Date.now();
  const { oee } = await hub.gql(
    `query ($s: String!, $from: DateTimeISO!, $to: DateTimeISO!) {
      oee(scope: $s, from: $from, to: $to, groupBy: Equipment) {
        producedQuantity goodQuantity scrapQuantity performance } }`,
    { s: path, from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 60_000).toISOString() },
  );
  return oee[0] as { producedQuantity: number; goodQuantity: number; scrapQuantity: number };
};

describe.each(MODES)('OPC UA connector (%s)', (mode: Mode) => {
  let hub: TestHub;
  let sim: OpcUaMachineSimulator;
  beforeAll(async () => {
    sim = await OpcUaMachineSimulator.start({ machines: ['press-1', 'press-2'] });
    hub = await startTestHub(mode, {
      demo: true,
      simulatorIntervalMs: 0,
      oeeUpdateIntervalMs: 300,
      connectorTypes: [opcUaConnector],
      connectors: { relayIntervalMs: 100 },
    });
    // OEE counts parts only in planned time: a shift all day long, so the demo's breaks cannot hide them.
    const { r } = await hub.gql(
      'mutation ($i: SetShiftCalendarInput!) { r: setShiftCalendar(input: $i) { __typename } }',
      { i: { scope: LINE, timeZone: 'UTC', shifts: [{ name: 'Day', start: '00:00', end: '00:00' }] } },
    );
    expect(r.__typename).toBe('ShiftCalendar');
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await sim?.stop();
  });

  it('an engineer browses the server, maps the press by name, and states, counts and OEE arrive', async () => {
    expect(await configureOpcUa(hub, 'press-opcua', sim)).toEqual({ __typename: 'ConnectorInstance' });
    const roots = await browse(hub, 'press-opcua');
    const machines = roots.find((n) => n.browseName.endsWith(':Machines'));
    expect(machines, JSON.stringify(roots.map((n) => n.browseName))).toBeTruthy();
    const press = (await browse(hub, 'press-opcua', machines!.nodeId)).find((n) => n.displayName === 'press-1')!;
    const tags = await browse(hub, 'press-opcua', press.nodeId);
    const tag = (name: string) => tags.find((n) => n.displayName === name)!;
    expect(tag('GoodCount')).toMatchObject({ nodeClass: 'Variable', dataType: 'UInt32' });
    expect(tag('Temperature')).toMatchObject({ nodeClass: 'Variable', dataType: 'Double' });
    expect(tag('StateEnum').dataType).toBe('MachineStateEnumeration');

    const mapping = {
      equipment: [
        {
          path: PRESS,
          state: {
            nodeId: tag('State').nodeId,
            codes: { '1': 'Running', '2': 'Idle', '5': { state: 'Down', reason: 'jam' } },
          },
          good: { nodeId: tag('GoodCount').nodeId, counter: 'cumulative' },
          scrap: { nodeId: tag('ScrapCount').nodeId, counter: 'cumulative' },
          cycle: { nodeId: tag('CycleTime').nodeId, unit: 'ms' },
          values: [{ nodeId: tag('Temperature').nodeId, name: 'temperature', unit: 'degC' }],
        },
      ],
    };
    const before = await oee(hub, PRESS);
    expect(await configureOpcUa(hub, 'press-opcua', sim, mapping)).toEqual({ __typename: 'ConnectorInstance' });
    await until(
      async () => (await health(hub, 'press-opcua')).streamHealth?.[0]?.connected === true,
      'stream open',
      20_000,
    );
    // The client's certificate and private key are in the hub's database, sealed like secrets.
    const [pki] = await hub.db.em
      .fork()
      .execute<{ value: string }[]>(
        `select value from connector_store where connector = 'press-opcua' and key = 'pki'`,
      );
    expect(pki!.value).toMatch(/^v1\./);
    expect(Buffer.from(pki!.value.slice(3), 'base64').toString('latin1')).not.toContain('own/private');
    sim.setState('press-1', 'Running');
    await until(async () => (await equipmentState(hub, PRESS)).state === 'Running', 'press Running', 20_000);
    for (let i = 0; i < 20; i++) {
      sim.produce('press-1', { good: 1, cycleTimeMs: 900 + i });
      if (i % 5 === 4) sim.produce('press-1', { scrap: 1 });
      await sleep(5);
    }
    sim.setTemperature('press-1', 71.5);
    // Good, scrap and cycle time are separate monitored items: the server may notify them in different
    // publish responses, so the last good part can be stored before the last scrap and cycle.
    await until(
      async () => {
        const s = await stored(hub, 'press-opcua');
        return s.good === 20 && s.scrap === 4 && s.cycles === 20;
      },
      '20 good, 4 scrap, 20 cycles stored',
      20_000,
    );
    expect(await stored(hub, 'press-opcua')).toMatchObject({ good: 20, scrap: 4, cycles: 20 });
    await until(async () => (await oee(hub, PRESS)).goodQuantity >= before.goodQuantity + 20, 'OEE moved', 20_000);
    expect((await oee(hub, PRESS)).scrapQuantity).toBe(before.scrapQuantity + 4);

    sim.setState('press-1', 'Jammed');
    await until(async () => (await equipmentState(hub, PRESS)).state === 'Down', 'press Down', 20_000);
    expect((await equipmentState(hub, PRESS)).stateReason).toBe('jam');
    const h = await health(hub, 'press-opcua');
    expect(h.streamHealth).toEqual([expect.objectContaining({ connected: true, itemsBad: 0, items: 5, buffered: 0 })]);
    expect(h.streamHealth![0]!.lastValueAt).not.toBeNull();
  }, 120_000);

  it('maps each signal kind: enumeration, code table, counter reset, delta, deadband', async () => {
    const path = `${LINE}/press-2`;
    const mapping = {
      equipment: [
        {
          path,
          state: {
            nodeId: nodeId('press-2', 'StateEnum'),
            enumeration: true,
            codes: { Running: 'Running', Idle: 'Idle', Faulted: { state: 'Down', reason: 'fault' } },
            otherwise: 'Idle',
          },
          good: { nodeId: nodeId('press-2', 'GoodDelta'), counter: 'delta' },
          scrap: { nodeId: nodeId('press-2', 'ScrapCount'), counter: 'cumulative' },
          values: [
            {
              nodeId: nodeId('press-2', 'Temperature'),
              name: 'temperature',
              unit: 'degC',
              deadband: { type: 'absolute', value: 1 },
            },
            { nodeId: 'ns=1;s=press-2.NoSuchTag', name: 'pressure', unit: 'bar' },
          ],
        },
      ],
    };
    expect(await configureOpcUa(hub, 'kinds', sim, mapping)).toEqual({ __typename: 'ConnectorInstance' });
    await until(async () => (await health(hub, 'kinds')).streamHealth?.[0]?.connected === true, 'stream open', 20_000);
    expect((await health(hub, 'kinds')).streamHealth![0]).toMatchObject({ items: 5, itemsBad: 1 });

    sim.setState('press-2', 'Down'); // enumeration value 3, Faulted
    await until(async () => (await equipmentState(hub, path)).state === 'Down', 'enumeration Faulted → Down', 20_000);
    expect((await equipmentState(hub, path)).stateReason).toBe('fault');
    sim.setState('press-2', 'Running');
    await until(async () => (await equipmentState(hub, path)).state === 'Running', 'Running by name', 20_000);

    // A delta counter: parts per change, also when two changes in a row carry the same number.
    sim.produce('press-2', { good: 2 });
    await sleep(20);
    sim.produce('press-2', { good: 2 });
    await sleep(20);
    sim.produce('press-2', { good: 3 });
    // A cumulative counter with a reset at the PLC: 3, then back to 0 and 2 more: 5 in all.
    sim.produce('press-2', { scrap: 3 });
    await sleep(20);
    await until(async () => (await stored(hub, 'kinds')).scrap === 3, 'three scrap', 20_000);
    sim.resetScrap('press-2');
    await sleep(20);
    sim.produce('press-2', { scrap: 2 });
    await until(async () => (await stored(hub, 'kinds')).scrap === 5, 'scrap across the reset', 20_000);
    await until(async () => (await stored(hub, 'kinds')).good === 7, 'seven good from deltas', 20_000);

    // Deadband 1 degC: 20 → 20.4 → 20.8 not reported; 21.5 reported; then 21.6 not.
    for (const t of [20.4, 20.8, 21.5, 21.6]) {
      sim.setTemperature('press-2', t);
      await sleep(30);
    }
    await sleep(1000);
    const values = await hub.db.em
      .fork()
      .execute<{ value: number; unit: string }[]>(
        `select value, unit from process_value where source like 'opcua:kinds:%' and name = 'temperature' order by at`,
      );
    expect(values.map((v) => v.value)).toEqual([20, 21.5]);
    expect(values[0]!.unit).toBe('degC');

    await hub.gql('mutation { setConnectorEnabled(name: "kinds", enabled: false) { __typename } }');
    await until(() => sim.subscriptions === 1, 'its subscription closed with the instance', 20_000);
  }, 120_000);

  it('restores the subscription after a server restart: nothing lost, nothing twice', async () => {
    // The first test's instance runs on press-1; its counts so far are the baseline.
    const base = await stored(hub, 'press-opcua');
    for (let i = 0; i < 10; i++) {
      sim.produce('press-1', { good: 1, cycleTimeMs: 1000 + i });
      await sleep(10);
    }
    await until(async () => (await stored(hub, 'press-opcua')).good === base.good + 10, 'before the restart', 20_000);
    const restart = sim.restart(1000);
    await sleep(300);
    sim.produce('press-1', { good: 5, cycleTimeMs: 2000 }); // while down: the PLC counts on
    await restart;
    await until(
      async () => (await health(hub, 'press-opcua')).streamHealth?.[0]?.connected === true,
      'reconnected',
      30_000,
    );
    await until(() => sim.subscriptions === 1, 'the subscription is on the new server', 30_000);
    for (let i = 0; i < 10; i++) {
      sim.produce('press-1', { good: 1, cycleTimeMs: 3000 + i });
      await sleep(10);
    }
    await until(async () => (await stored(hub, 'press-opcua')).good >= base.good + 25, 'after the restart', 30_000);
    await sleep(1500); // anything sent twice would arrive by now
    const after = await stored(hub, 'press-opcua');
    expect(after.good).toBe(base.good + 25);
    // The cycle that ended while the server was down shows as its current value (2000 ms) once back.
    expect(after.cycles).toBe(base.cycles + 21);
    expect(sim.starts).toBe(2);

    // The instance stopped (disabled) while the press made 7 more: its counter resumes from the total
    // kept in the store, so they are counted once, and nothing already counted comes again.
    await hub.gql('mutation { setConnectorEnabled(name: "press-opcua", enabled: false) { __typename } }');
    await until(() => sim.subscriptions === 0, 'the stream closed', 20_000);
    sim.produce('press-1', { good: 7 });
    await hub.gql('mutation { setConnectorEnabled(name: "press-opcua", enabled: true) { __typename } }');
    await until(
      async () => (await stored(hub, 'press-opcua')).good >= base.good + 32,
      'the parts made meanwhile',
      30_000,
    );
    await sleep(1500);
    expect((await stored(hub, 'press-opcua')).good).toBe(base.good + 32);
  }, 120_000);
});
