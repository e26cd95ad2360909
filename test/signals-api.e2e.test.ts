import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, sleep, startTestHub, subscribe, type TestHub } from './support/harness.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const PRESS_1 = 'acme/berlin/assembly/line-1/press-1';
const WELDER = 'acme/berlin/assembly/line-1/welder-1';
const PUBLISH = `mutation ($s: [EquipmentSignalInput!]!) { publishSignals(signals: $s) {
  __typename ... on SignalsPublished { accepted } ... on InvalidInput { field message } ... on NotFound { key } } }`;
const EVENTS =
  'subscription ($scope: String!, $types: [String!]) { hubEvents(scope: $scope, types: $types) { subject type path data } }';

describe.each(MODES)('signals and events through GraphQL (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  const rows = async (sql: string) => (await hub.db.em.fork().execute(sql)) as any[];
  const waitUntil = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await check()); i++) await sleep(100);
    expect(await check()).toBe(true);
  };

  it('takes state, count, cycle and process-value signals, stores each once and announces them', async () => {
    const events = await subscribe(
      hub.url,
      EVENTS,
      { scope: 'acme/berlin/assembly/line-1', types: ['ProcessValueReported', 'ProductionCounted'] },
      hub.localAdminToken,
    );
    const signals = [
      { kind: 'State', path: PRESS_1, source: 'gw-1', sequence: 1, state: 'Running' },
      { kind: 'Count', path: PRESS_1, source: 'gw-1', sequence: 2, good: 10, scrap: 2 },
      { kind: 'Cycle', path: PRESS_1, source: 'gw-1', sequence: 3, cycleTimeMs: 5200 },
      { kind: 'Value', path: WELDER, source: 'gw-1', sequence: 4, name: 'current', value: 812.5, unit: 'A' },
    ];
    const { publishSignals } = await hub.gql(PUBLISH, { s: signals });
    expect(publishSignals).toEqual({ __typename: 'SignalsPublished', accepted: 4 });
    await hub.gql(PUBLISH, { s: signals }); // a re-send changes nothing
    await events.waitFor((e) => e.data.hubEvents.type === 'ProcessValueReported');
    await waitUntil(
      async () => (await rows("select count(*)::int as n from production_count where source = 'gw-1'"))[0].n === 2,
    );
    await sleep(500);
    expect(
      await rows("select good, scrap, cycle_time_ms from production_count where source = 'gw-1' order by sequence"),
    ).toEqual([
      { good: 10, scrap: 2, cycle_time_ms: null },
      { good: 1, scrap: 0, cycle_time_ms: 5200 },
    ]);
    expect(await rows("select path, name, value, unit from process_value where source = 'gw-1'")).toEqual([
      { path: WELDER, name: 'current', value: 812.5, unit: 'A' },
    ]);
    expect((await hub.gql(`{ equipment(path: "${PRESS_1}") { state } }`)).equipment.state).toBe('Running');
    const value = events.received.map((e) => e.data.hubEvents).find((e) => e.type === 'ProcessValueReported');
    expect(value).toMatchObject({
      path: WELDER,
      subject: expect.stringMatching(/\.event\.process_value\.reported\.acme\.berlin\.assembly\.line-1\.welder-1$/),
    });
    expect(JSON.parse(value.data)).toMatchObject({ name: 'current', value: 812.5, unit: 'A' });
    expect(events.received.map((e) => e.data.hubEvents.type).sort()).toEqual([
      'ProcessValueReported',
      'ProductionCounted',
      'ProductionCounted',
    ]);
    await events.close();
  });

  it('says what is wrong with a bad signal and publishes none of the call', async () => {
    const before = (await rows('select count(*)::int as n from equipment_state_change'))[0].n;
    const cases: [unknown[], string, RegExp][] = [
      [
        [{ kind: 'State', path: PRESS_1, source: 'gw-2', sequence: 1, state: 'Down' }],
        'InvalidInput',
        /Down state needs a reason code/,
      ],
      [[{ kind: 'Cycle', path: PRESS_1, source: 'gw-2', sequence: 2 }], 'InvalidInput', /cycleTimeMs must be a number/],
      [
        [{ kind: 'Value', path: PRESS_1, source: 'gw-2', sequence: 3, name: 'temp' }],
        'InvalidInput',
        /value must be a finite number/,
      ],
      [[{ kind: 'Count', path: PRESS_1, source: 'gw-2', sequence: 4, good: 0 }], 'InvalidInput', /at least one part/],
      [
        [{ kind: 'State', path: 'acme/nowhere', source: 'gw-2', sequence: 5, state: 'Idle' }],
        'NotFound',
        /acme\/nowhere/,
      ],
      [
        [
          { kind: 'State', path: PRESS_1, source: 'gw-2', sequence: 6, state: 'Idle' },
          { kind: 'State', path: 'not a path', source: 'gw-2', sequence: 7, state: 'Idle' },
        ],
        'InvalidInput',
        /signals\[1\]\.path/,
      ],
    ];
    for (const [signals, typename, message] of cases) {
      const { publishSignals } = await hub.gql(PUBLISH, { s: signals });
      expect(publishSignals.__typename).toBe(typename);
      expect(publishSignals.message ?? publishSignals.key ?? publishSignals.field).toMatch(message);
    }
    await sleep(500);
    expect((await rows('select count(*)::int as n from equipment_state_change'))[0].n).toBe(before);
  });

  it('counts dead-lettered signals by reason and keeps consuming', async () => {
    const before = (await hub.gql('{ signalIngest { rejectedInvalid rejectedUnknownEquipment stored } }')).signalIngest;
    const publish = (kind: 'state' | 'value', path: string, body: string, id: string) =>
      hub.bus.publishSignal(hub.bus.subjects.equipmentSignal(kind, path), Buffer.from(body), id);
    await publish('value', PRESS_1, '{"name":"temp","value":"hot","source":"gw-3","sequence":1}', 'gw-3:1');
    await publish(
      'state',
      'acme/berlin/assembly/line-1/press-77',
      '{"state":"Idle","source":"gw-3","sequence":2}',
      'gw-3:2',
    );
    await publish('value', PRESS_1, '{"name":"temp","value":70,"source":"gw-3","sequence":3}', 'gw-3:3');
    await waitUntil(async () => (await hub.gql('{ signalIngest { stored } }')).signalIngest.stored > before.stored);
    const after = (
      await hub.gql('{ signalIngest { rejectedInvalid rejectedUnknownEquipment received batches lastBatchAt } }')
    ).signalIngest;
    expect(after.rejectedInvalid - before.rejectedInvalid).toBe(1);
    expect(after.rejectedUnknownEquipment - before.rejectedUnknownEquipment).toBe(1);
    expect(after.lastBatchAt).not.toBeNull();
  });

  it('carries flow events to hubEvents subscribers, and refuses bad ones', async () => {
    const all = await subscribe(hub.url, EVENTS, { scope: '*', types: ['ScrapRateHigh'] }, hub.localAdminToken);
    const { ok } = await hub.gql(
      `mutation { ok: publishFlowEvent(type: "ScrapRateHigh", path: "${PRESS_1}", data: "{\\"rate\\":0.07}") { __typename ... on FlowEventPublished { published } } }`,
    );
    expect(ok).toEqual({ __typename: 'FlowEventPublished', published: true });
    const event = (await all.waitFor((e) => e.data.hubEvents.type === 'ScrapRateHigh')).data.hubEvents;
    expect(event.subject).toMatch(/\.event\.flow\.ScrapRateHigh\.acme\.berlin\.assembly\.line-1\.press-1$/);
    expect(JSON.parse(event.data)).toMatchObject({ type: 'ScrapRateHigh', path: PRESS_1, data: { rate: 0.07 } });
    const bad =
      await hub.gql(`mutation { a: publishFlowEvent(type: "scrap rate", path: "${PRESS_1}", data: "{}") { __typename ... on InvalidInput { field } }
      b: publishFlowEvent(type: "Ok", path: "${PRESS_1}", data: "{nope") { __typename ... on InvalidInput { field } }
      c: publishFlowEvent(type: "Ok", path: "acme/none", data: "{}") { __typename } }`);
    expect(bad).toEqual({
      a: { __typename: 'InvalidInput', field: 'type' },
      b: { __typename: 'InvalidInput', field: 'data' },
      c: { __typename: 'NotFound' },
    });
    await all.close();
  });

  it('groups OEE by work order over the time each order ran', async () => {
    // Yesterday 12:00–12:20 UTC: inside the demo calendar's early shift and clear of its breaks
    // (10:00–10:30 Berlin time), whatever the time of day the test runs.
    const start = new Date();
    start.setUTCDate(start.getUTCDate() - 1);
    start.setUTCHours(12, 0, 0, 0);
    await hub.db.em
      .fork()
      .execute(`update work_order set actual_start = ?, actual_end = ? where number = 'WO-1001'`, [
        start,
        new Date(start.getTime() + 20 * 60_000),
      ]);
    const { oee } = await hub.gql(
      `query ($from: DateTimeISO!, $to: DateTimeISO!) { oee(scope: "acme", from: $from, to: $to, groupBy: WorkOrder) { group plannedBusyTime } }`,
      {
        from: new Date(start.getTime() - 3_600_000).toISOString(),
        to: new Date(start.getTime() + 3_600_000).toISOString(),
      },
    );
    // WO-1001 runs on line 1: its four machines for 20 minutes each, all of it planned working time.
    expect(oee).toEqual([{ group: 'WO-1001', plannedBusyTime: 4 * 20 * 60 }]);
  });
});
