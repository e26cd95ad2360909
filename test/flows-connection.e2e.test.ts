import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '@plantgraph/schema';
import { MODES, sleep, startTestHub, uniqueName, type TestHub } from './support/harness.js';
import { withFlows, eventually } from './support/flows.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const PRESS = 'acme/berlin/assembly/line-1/press-2';
const FILLER = 'acme/berlin/packaging/line-3/filler-1';

/** The connection the hub hands to the PlantGraph nodes (setting `plantgraph`), acting as `flows:<plant>`. */
describe.each(MODES)('embedded hub connection (%s)', (mode) => {
  let hub: TestHub;
  const plant = uniqueName('conn');
  beforeAll(async () => {
    // The flows may act in assembly only (maintenance: SetEquipmentState, to report signals).
    const grants = [Role.Engineer, Role.Operator, Role.Maintenance].map((role) => ({
      role,
      scope: 'acme/berlin/assembly',
    }));
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0, ...withFlows(plant, { grants }) });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('runs GraphQL as flows:<plant> with its grants: raises alerts in scope, sees nothing outside', async () => {
    const connection = hub.flows!.embedded.connect();
    expect(hub.flows!.embedded.plant).toBe(plant);
    const viewer = await connection.graphql('{ viewer { name kind } }');
    expect(viewer).toEqual({ data: { viewer: { name: `flows:${plant}`, kind: 'service' } } });
    const raised = await connection.graphql(
      'mutation ($path: String!) { raiseAlert(input: { path: $path, deduplicationKey: "flow/temp", severity: High, title: "too hot" }) { __typename ... on Alert { path } } }',
      { path: PRESS },
    );
    expect(raised.data).toEqual({ raiseAlert: { __typename: 'Alert', path: PRESS } });
    const outside = await connection.graphql(`{ equipment(path: "${FILLER}") { path } }`);
    expect(outside.data).toEqual({ equipment: null });
    const { alerts } = await hub.gql(
      '{ alerts(filter: { pathPrefix: "acme/berlin/assembly" }) { edges { node { raisedBy } } } }',
    );
    expect(alerts.edges.map((e: any) => e.node.raisedBy)).toContain(`flows:${plant}`);
    await connection.close();
  });

  it('publishes state and count signals onto the ingest path, and refuses what it cannot do', async () => {
    const connection = hub.flows!.embedded.connect();
    const source = uniqueName('flow-node-');
    await connection.publishSignal('state', PRESS, { state: 'Down', reason: 'JAM', source, sequence: 1 });
    await connection.publishSignal('count', PRESS, { good: 7, scrap: 1, source, sequence: 2 });
    await eventually(
      async () => (await hub.gql(`{ equipment(path: "${PRESS}") { state } }`)).equipment.state === 'Down',
      10_000,
      'the state signal to be ingested',
    );
    // Out of scope is refused exactly as missing equipment (the same rule as publishSignals).
    await expect(connection.publishSignal('state', FILLER, { state: 'Idle', source, sequence: 3 })).rejects.toThrow(
      `NotFound: No equipment "${FILLER}" exists.`,
    );
    await expect(
      connection.publishSignal('state', 'not a path', { state: 'Idle', source, sequence: 3 }),
    ).rejects.toThrow(/not an equipment path/);
    await expect(connection.publishSignal('state', PRESS, { state: 'Idle', source: '', sequence: 3 })).rejects.toThrow(
      /source must be a non-empty string/,
    );
    await expect(connection.publishSignal('state', PRESS, { state: 'Idle', source, sequence: 1.5 })).rejects.toThrow(
      /sequence must be a non-negative integer \(got 1\.5\)/,
    );
    await connection.close();
  });

  it('delivers hub events in its scopes filtered by type, and publishes flow events', async () => {
    const connection = hub.flows!.embedded.connect();
    const received: any[] = [];
    const errors: Error[] = [];
    connection.subscribeEvents(
      '*',
      ['EquipmentStateChanged', 'OverTemperature'],
      (e) => received.push(e),
      (e) => errors.push(e),
    );
    // A scope beyond the grants is filtered, not refused, as `hubEvents` does for any client.
    const outside: any[] = [];
    connection.subscribeEvents(
      'acme/berlin/packaging',
      [],
      (e) => outside.push(e),
      (e) => errors.push(e),
    );
    await sleep(300);
    await hub.gql(
      `mutation { a: setEquipmentState(input: { path: "${FILLER}", state: Maintenance }) { __typename } b: setEquipmentState(input: { path: "acme/berlin/assembly/line-1/robot-1", state: Maintenance }) { __typename } }`,
    );
    await hub.gql(
      'mutation { raiseAlert(input: { path: "acme/berlin/assembly/line-1/robot-1", deduplicationKey: "x", severity: Low, title: "x" }) { __typename } }',
    );
    await connection.publishEvent('OverTemperature', PRESS, { celsius: 91 });
    await eventually(async () => received.some((e) => e.type === 'OverTemperature'), 10_000, 'the flow event');
    await eventually(async () => received.some((e) => e.type === 'EquipmentStateChanged'), 10_000, 'the state change');
    await sleep(300);
    expect(received.map((e) => `${e.type} ${e.path}`).sort()).toEqual([
      `EquipmentStateChanged acme/berlin/assembly/line-1/robot-1`,
      `OverTemperature ${PRESS}`,
    ]);
    const flowEvent = received.find((e) => e.type === 'OverTemperature');
    expect(flowEvent.subject).toMatch(/\.event\.flow\.OverTemperature\.acme\.berlin\.assembly\.line-1\.press-2$/);
    expect(flowEvent.data).toMatchObject({
      type: 'OverTemperature',
      path: PRESS,
      data: { celsius: 91 },
      actor: `flows:${plant}`,
    });
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    await expect(connection.publishEvent('bad.type', PRESS, {})).rejects.toThrow(/PascalCase name/);
    await connection.close();
  });

  it('publishes cycle and process-value signals too', async () => {
    const connection = hub.flows!.embedded.connect();
    const source = uniqueName('flow-node-');
    await connection.publishSignal('cycle', PRESS, { cycleTimeMs: 4100, source, sequence: 1 });
    await connection.publishSignal('value', PRESS, {
      name: 'oil_temperature',
      value: 48.5,
      unit: 'degC',
      source,
      sequence: 2,
    });
    const rows = async (sql: string) => (await hub.db.em.fork().execute(sql, [source])) as any[];
    await eventually(
      async () => (await rows('select 1 from process_value where source = ?')).length === 1,
      10_000,
      'the process value to be stored',
    );
    expect(await rows('select good, cycle_time_ms from production_count where source = ?')).toEqual([
      { good: 1, cycle_time_ms: 4100 },
    ]);
    expect(await rows('select name, value, unit from process_value where source = ?')).toEqual([
      { name: 'oil_temperature', value: 48.5, unit: 'degC' },
    ]);
    await connection.close();
  });
});
