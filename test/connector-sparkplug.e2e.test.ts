import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, sparkplugConnector } from '@plantgraph/connector-sparkplug';
import { SparkplugEdgeNode } from '@plantgraph/sparkplug-simulator';
import { MODES, startTestHub, uniqueName, type Mode, type TestHub } from './support/harness.js';
import { createOeeLine } from './support/plant.js';
import { startPrivateMosquitto } from './support/private-mosquitto.js';
import type { PrivateService } from './support/private-service.js';
import { until } from './support/queue.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/**
 * The Sparkplug B connector end to end: an engineer configures an instance through GraphQL, an edge
 * node simulator speaks Sparkplug B on a real Mosquitto, and what the node's device does shows in the
 * hub: states in the equipment and its history, counts in OEE, values stored; a sequence gap makes
 * the host ask for a rebirth and everything goes on; a DDEATH makes the equipment Offline; a broker
 * killed and restarted loses and duplicates no part.
 */
const SHARED_BROKER = 'mqtt://127.0.0.1:1883';
const CODES = { '0': 'Idle', '1': 'Running', '2': { state: 'Down', reason: 'JAM' }, '3': 'Maintenance' };
const PRESS_METRICS = [
  { name: 'Status/Code', datatype: DataType.Int32, value: 1 },
  { name: 'Counters/Good', datatype: DataType.UInt64, value: 0 },
  { name: 'Counters/Scrap', datatype: DataType.UInt32, value: 0 },
  { name: 'Cycle/Time', datatype: DataType.Double, value: 2.5 },
  { name: 'Process/Temperature', datatype: DataType.Float, value: 60 },
];
const ROBOT_METRICS = [{ name: 'State', datatype: DataType.String, value: 'Running' }];

const umhLocation = (root: string) => `${root}.site.area.line.robot`;

function mapping(group: string, root: string) {
  const line = `${root}/site/area/line`;
  return {
    devices: {
      [`${group}/node-1/press`]: {
        equipment: `${line}/press`,
        metrics: {
          'Status/Code': { signal: 'state', codes: CODES },
          'Counters/Good': { signal: 'good', counter: 'cumulative' },
          'Counters/Scrap': { signal: 'scrap' },
          'Cycle/Time': { signal: 'cycle', unit: 's' },
          'Process/Temperature': { signal: 'value', name: 'temperature', unit: 'degC', deadband: 0.5 },
        },
      },
      [`${group}/node-1/robot`]: { equipment: `${line}/robot`, metrics: { State: { signal: 'state' } } },
    },
    // The robot's parts come from a United Manufacturing Hub topic.
    umh: {
      [umhLocation(root)]: {
        equipment: `${line}/robot`,
        metrics: { '_historian.counters.good': { signal: 'good' } },
      },
    },
  };
}

interface Setup {
  hub: TestHub;
  node: SparkplugEdgeNode;
  root: string;
  name: string;
  hostId: string;
}

/** A hub with the connector, a line of two machines, an instance created through GraphQL, and its edge node. */
async function setUp(mode: Mode, brokerUrl: string, more: Record<string, unknown> = {}): Promise<Setup> {
  const hub = await startTestHub(mode, { connectorTypes: [sparkplugConnector] });
  const root = uniqueName('spb');
  const group = uniqueName('g'); // its own Sparkplug group: parallel runs on the shared broker do not meet
  const hostId = uniqueName('host');
  const name = uniqueName('sparkplug-');
  await createOeeLine(hub.gql, root, ['press', 'robot'], 2);
  const { configureConnector } = await hub.gql(
    `mutation ($i: ConfigureConnectorInput!) {
      configureConnector(input: $i) { __typename ... on ErrorResult { message } } }`,
    {
      i: {
        name,
        type: 'sparkplug',
        scope: root,
        settings: { brokerUrl, hostId, mapping: mapping(group, root), rebirthIntervalMs: 500, umh: true, ...more },
        grants: [{ role: 'Maintenance', scope: root }],
        enabled: true,
      },
    },
  );
  expect(configureConnector).toEqual({ __typename: 'ConnectorInstance' });
  const node = new SparkplugEdgeNode({
    brokerUrl,
    group,
    node: 'node-1',
    primaryHostId: hostId,
    devices: { press: structuredClone(PRESS_METRICS), robot: structuredClone(ROBOT_METRICS) },
  });
  await node.start();
  return { hub, node, root, name, hostId };
}

const press = (s: Setup) => `${s.root}/site/area/line/press`;
const robot = (s: Setup) => `${s.root}/site/area/line/robot`;
const stateOf = async (s: Setup, path: string) =>
  (await s.hub.gql('query ($p: String!) { equipment(path: $p) { state stateReason } }', { p: path })).equipment as {
    state: string;
    stateReason: string | null;
  };
const history = async (s: Setup, path: string) =>
  (
    await s.hub.gql(
      'query ($p: String!) { equipment(path: $p) { stateHistory(first: 50) { edges { node { state reason } } } } }',
      {
        p: path,
      },
    )
  ).equipment.stateHistory.edges.map((e: { node: { state: string; reason: string | null } }) => e.node);
/** Good and scrap parts in OEE over the last hour and the next minute. */
const oee = async (s: Setup) => {
  const now = Date.now();
  const { oee } = await s.hub.gql(
    `query ($s: String!, $from: DateTimeISO!, $to: DateTimeISO!) {
      oee(scope: $s, from: $from, to: $to, groupBy: Equipment) { group goodQuantity scrapQuantity } }`,
    { s: press(s), from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 60_000).toISOString() },
  );
  return (oee as { goodQuantity: number; scrapQuantity: number }[])[0] ?? { goodQuantity: 0, scrapQuantity: 0 };
};
/** Parts stored for the press, straight from the tables (OEE leaves out what falls outside shifts). */
const storedParts = async (s: Setup, path = press(s)) => {
  const [row] = await s.hub.db.em
    .fork()
    .execute<{ good: string | null; scrap: string | null; cycles: string }[]>(
      `select sum(good) as good, sum(scrap) as scrap, count(cycle_time_ms) as cycles from production_count where path = ?`,
      [path],
    );
  return { good: Number(row!.good ?? 0), scrap: Number(row!.scrap ?? 0), cycles: Number(row!.cycles) };
};
const connector = async (s: Setup) =>
  (await s.hub.gql('query ($n: String!) { connector(name: $n) { health healthMessage lastError } }', { n: s.name }))
    .connector as { health: string; healthMessage: string | null; lastError: string | null };
const health = async (s: Setup) => {
  await s.hub.gql('mutation ($n: String!) { testConnector(name: $n) { __typename } }', { n: s.name });
  return connector(s);
};

describe.each(MODES)('Sparkplug B connector (%s)', (mode) => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUp(mode, SHARED_BROKER);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await s?.node.stop();
    await s?.hub.stop();
  });

  it('refuses a mapping with mistakes when the instance is saved, naming each', async () => {
    const bad = mapping('g', s.root);
    (bad.devices['g/node-1/press']!.metrics as Record<string, unknown>)['Status/Code'] = {
      signal: 'state',
      codes: { '2': 'Down' },
    };
    const { configureConnector } = await s.hub.gql(
      `mutation ($i: ConfigureConnectorInput!) {
        configureConnector(input: $i) { __typename ... on InvalidInput { field message } } }`,
      {
        i: {
          name: uniqueName('bad-'),
          type: 'sparkplug',
          scope: s.root,
          settings: { brokerUrl: SHARED_BROKER, hostId: 'h', mapping: bad },
          grants: [],
          enabled: true,
        },
      },
    );
    expect(configureConnector.__typename).toBe('InvalidInput');
    expect(`${configureConnector.field} ${configureConnector.message}`).toContain(
      'mapping.devices["g/node-1/press"].metrics["Status/Code"].codes["2"]',
    );
    expect(configureConnector.message).toContain('Down needs a reason');
  });

  it('turns births into states and data into counts, cycles and values', async () => {
    await until(
      async () => (await stateOf(s, press(s))).state === 'Running',
      'the press Running from its DBIRTH',
      20_000,
    );
    await until(async () => (await stateOf(s, robot(s))).state === 'Running', 'the robot Running from its DBIRTH');
    for (let i = 1; i <= 10; i++) s.node.update('press', { 'Counters/Good': i, 'Cycle/Time': 2 + i / 10 });
    s.node.update('press', { 'Counters/Scrap': 2, 'Process/Temperature': 60.2 }); // within the deadband
    s.node.update('press', { 'Process/Temperature': 61.5, 'Status/Code': 2 });
    await until(async () => (await stateOf(s, press(s))).state === 'Down', 'the press Down');
    expect((await stateOf(s, press(s))).stateReason).toBe('JAM');
    s.node.update('press', { 'Status/Code': 1 });
    await until(
      async () => (await storedParts(s)).good === 10 && (await storedParts(s)).scrap === 2,
      'the parts stored',
    );
    expect((await storedParts(s)).cycles).toBe(10);
    await until(async () => (await oee(s)).goodQuantity === 10, 'the good parts in OEE');
    await until(async () => (await stateOf(s, press(s))).state === 'Running', 'the press Running again');
    const states = (await history(s, press(s))).map((h: { state: string; reason: string | null }) => h.state);
    expect(states.slice(0, 3)).toEqual(['Running', 'Down', 'Running']);
    const values = await s.hub.db.em
      .fork()
      .execute<{ value: number; unit: string }[]>(
        `select value, unit from process_value where path = ? and name = 'temperature' order by at, sequence`,
        [press(s)],
      );
    expect(values.map((v) => [Math.round(v.value * 10) / 10, v.unit])).toEqual([
      [60, 'degC'],
      [61.5, 'degC'],
    ]);
  });

  it('asks for a rebirth after a sequence gap and goes on without counting anything twice', async () => {
    const rebirths = s.node.counts.rebirths;
    const before = await storedParts(s);
    s.node.skipSequence();
    s.node.update('press', { 'Counters/Good': 11 });
    await until(() => s.node.counts.rebirths > rebirths, 'a Node Control/Rebirth NCMD answered with births');
    await until(() => s.node.born, 'the node born again');
    s.node.update('press', { 'Counters/Good': 13 });
    await until(async () => (await storedParts(s)).good === before.good + 3, 'the parts after the gap');
    await new Promise((r) => setTimeout(r, 500));
    expect((await storedParts(s)).good).toBe(before.good + 3); // the births' totals counted nothing again
    const h = await health(s);
    expect(h.health).toBe('Healthy');
    expect(h.healthMessage).toMatch(/^connected to mqtt:\/\/127\.0\.0\.1:1883 as primary host/);
    expect(h.healthMessage).toMatch(/[1-9]\d* sequence gaps/);
  });

  it('reads United Manufacturing Hub topics mapped the same way', async () => {
    const { connectAsync } = await import('mqtt');
    const client = await connectAsync(SHARED_BROKER, { clientId: uniqueName('umh-') });
    const topic = `umh/v1/${umhLocation(s.root).split('.').join('/')}/_historian/counters/good`;
    try {
      for (const value of [40, 41, 45]) {
        await client.publishAsync(topic, JSON.stringify({ value, timestamp_ms: Date.now() }), { qos: 1 });
        await new Promise((r) => setTimeout(r, 20));
      }
      await until(
        async () => (await storedParts(s, robot(s))).good === 5,
        'the UMH counter counted from its first total',
      );
    } finally {
      await client.endAsync();
    }
  });

  it('makes the equipment Offline on DDEATH and Running again on DBIRTH', async () => {
    s.node.deviceDeath('robot');
    await until(async () => (await stateOf(s, robot(s))).state === 'Offline', 'the robot Offline');
    s.node.deviceBirth('robot');
    await until(async () => (await stateOf(s, robot(s))).state === 'Running', 'the robot Running after its DBIRTH');
    await s.node.crash(); // the broker sends the node's Will: NDEATH
    await until(async () => (await stateOf(s, press(s))).state === 'Offline', 'the press Offline after the NDEATH');
    expect((await stateOf(s, robot(s))).state).toBe('Offline');
  });

  it('holds its STATE as the primary host: online while it runs, offline (same timestamp) when it stops', async () => {
    const online = await retainedState(s);
    expect(online).toEqual({ online: true, timestamp: expect.any(Number) });
    await s.hub.gql('mutation ($n: String!) { setConnectorEnabled(name: $n, enabled: false) { __typename } }', {
      n: s.name,
    });
    await until(async () => (await retainedState(s)).online === false, 'STATE offline after the instance stopped');
    expect(await retainedState(s)).toEqual({ online: false, timestamp: online.timestamp });
  });
});

/** The retained STATE of the host, as an edge node subscribing now would get it. */
async function retainedState(s: Setup): Promise<{ online: boolean; timestamp: number }> {
  const { connectAsync } = await import('mqtt');
  const client = await connectAsync(SHARED_BROKER, { clientId: uniqueName('state-') });
  try {
    const message = new Promise<Buffer>((resolve) => client.once('message', (_t, payload) => resolve(payload)));
    await client.subscribeAsync(`spBv1.0/STATE/${s.hostId}`, { qos: 1 });
    const payload = await Promise.race([
      message,
      new Promise<never>((_, no) => setTimeout(() => no(new Error('no STATE')), 5000)),
    ]);
    return JSON.parse(payload.toString('utf8'));
  } finally {
    await client.endAsync();
  }
}

describe.each(MODES)('Sparkplug B connector through a broker restart (%s)', (mode) => {
  let broker: PrivateService;
  let s: Setup;
  beforeAll(async () => {
    broker = await startPrivateMosquitto();
    s = await setUp(mode, broker.url, { giveUpAfterMs: 5000 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await s?.node.stop().catch(() => {});
    await s?.hub.stop();
    await broker?.dispose();
  });

  it('loses and duplicates no part when the broker is killed, the session given up, and the broker back', async () => {
    await until(async () => (await stateOf(s, press(s))).state === 'Running', 'the press Running', 20_000);
    let good = 0;
    const produce = setInterval(() => s.node.update('press', { 'Counters/Good': ++good }), 20);
    try {
      await until(async () => (await storedParts(s)).good >= 20, 'parts before the restart');
      await broker.kill(); // the machine keeps making parts meanwhile
      await until(async () => (await health(s)).health === 'Unhealthy', 'the health saying the broker is gone');
      expect((await connector(s)).lastError).toMatch(/^(not connected to|cannot connect to) mqtt:\/\/127\.0\.0\.1:\d+/);
      // After giveUpAfterMs (5 s here) the stream counts as lost; the hub opens a new one when it can.
      // Once lost, the last error stays about the session given up (the hub's reopening, or a check without
      // a session) until a new one opens: no short window to catch.
      const givenUp = /^(stream sparkplug: (lost: no connection to|cannot open: )|cannot connect to )/;
      await until(async () => givenUp.test((await connector(s)).lastError ?? ''), 'the stream reported lost', 20_000);
      expect(good).toBeGreaterThan(100);
      await broker.restart();
      const births = s.node.counts.births;
      // The hub reopens a lost stream after a pause that doubles up to 30 s (connector-streams.ts): on a
      // loaded machine the broker can be down long enough for the whole pause to come after its restart.
      await until(() => s.node.counts.births > births, 'the node born again after the restart', 45_000);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      clearInterval(produce);
    }
    await until(async () => (await storedParts(s)).good === good, `all ${good} parts stored`, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    expect((await storedParts(s)).good).toBe(good);
    const h = await health(s);
    expect(h.health).toBe('Healthy');
    expect(h.healthMessage).toContain('0 refused, 0 dropped');
  }, 180_000);
});
