import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, sleep, startTestHub, subscribe, type TestHub } from './support/harness.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/**
 * OEE from real signals: a machine reports states and part counts through the signal path and
 * the oee query gives the ISO 22400 figures; the arithmetic is worked out beside each number.
 */
describe.each(MODES)('OEE from machine signals (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { simulatorIntervalMs: 0, oeeUpdateIntervalMs: 300 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('measures availability, performance, quality, microstops and MTBF/MTTR, grouped by machine, line and shift', async () => {
    const ok = (r: any) => expect(Object.values(r)[0]).not.toHaveProperty('code');
    ok(
      await hub.gql(
        'mutation { r: createEquipmentClass(input: { code: "filler", idealCycleTimeSeconds: 0.5 }) { __typename ... on ErrorResult { code } } }',
      ),
    );
    for (const [parent, code, level, cls] of [
      [null, 'oee', 'Enterprise'],
      ['oee', 'site', 'Site'],
      ['oee/site', 'area', 'Area'],
      ['oee/site/area', 'line', 'ProductionLine'],
      ['oee/site/area/line', 'm1', 'WorkCell', 'filler'],
    ] as const) {
      ok(
        await hub.gql(
          'mutation ($i: CreateEquipmentInput!) { r: createEquipment(input: $i) { __typename ... on ErrorResult { code } } }',
          { i: { parentPath: parent, code, name: code, level, equipmentClass: cls ?? null } },
        ),
      );
    }
    // One all-day shift in UTC; stops of 1 s or more count as failures.
    ok(
      await hub.gql(
        'mutation { r: setShiftCalendar(input: { scope: "oee/site", timeZone: "UTC", microstopThresholdSeconds: 1, shifts: [{ name: "Day", start: "00:00", end: "00:00" }] }) { __typename ... on ErrorResult { code } } }',
      ),
    );

    const live = await subscribe(
      hub.url,
      'subscription { oeeUpdated(scope: "oee/site") { path shift goodQuantity producedQuantity availability } }',
      undefined,
      hub.localAdminToken,
    );
    const t0 = Date.now() + 1500;
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const send = (kind: 'state' | 'count', seq: number, body: object) =>
      hub.bus.publishSignal(
        kind === 'state'
          ? hub.bus.subjects.equipmentSignal('state', 'oee/site/area/line/m1')
          : hub.bus.subjects.equipmentSignal('count', 'oee/site/area/line/m1'),
        Buffer.from(JSON.stringify({ ...body, source: 'plc-oee', sequence: seq })),
        `plc-oee:${seq}`,
      );
    await send('state', 1, { state: 'Running', at: at(0) });
    await send('count', 2, { good: 3, at: at(1) });
    await send('state', 3, { state: 'Down', reason: 'JAM', at: at(2) });
    await send('state', 4, { state: 'Idle', reason: 'WAIT', at: at(3) });
    await send('state', 5, { state: 'Running', at: at(3.5) });
    await send('state', 6, { state: 'Running', at: at(4) }); // a repeat: no new interval
    await send('count', 7, { good: 4, scrap: 1, at: at(5) });
    while (Date.now() < t0 + 6500) await sleep(200);

    const q = (groupBy: string) =>
      hub.gql(`{ oee(scope: "oee", from: "${at(0)}", to: "${at(6)}", groupBy: ${groupBy}) {
      group oee availability performance quality plannedBusyTime actualProductionTime actualUnitDownTime microstopTime producedQuantity goodQuantity unplannedStops mtbf mttr
      topDowntimeReasons { reason seconds occurrences } } }`);
    const [machine] = (await q('Equipment')).oee;
    // PBT 6 s; APT = 2 (run) + 0.5 (Idle 0.5 s: a microstop) + 2.5 (run) = 5; ADOT = 1 (JAM).
    expect(machine).toMatchObject({
      group: 'oee/site/area/line/m1',
      plannedBusyTime: 6,
      actualProductionTime: 5,
      actualUnitDownTime: 1,
      microstopTime: 0.5,
      producedQuantity: 8,
      goodQuantity: 7,
      unplannedStops: 1,
      mtbf: 5,
      mttr: 1,
      topDowntimeReasons: [{ reason: 'JAM', seconds: 1, occurrences: 1 }],
    });
    expect(machine.availability).toBeCloseTo(5 / 6, 9);
    expect(machine.performance).toBeCloseTo((0.5 * 8) / 5, 9); // 0.8
    expect(machine.quality).toBeCloseTo(7 / 8, 9);
    expect(machine.oee).toBeCloseTo((5 / 6) * 0.8 * (7 / 8), 9); // 0.5833…
    const [line] = (await q('ProductionLine')).oee;
    expect(line).toMatchObject({ group: 'oee/site/area/line', actualProductionTime: 5 });
    const shifts = (await q('Shift')).oee;
    expect(shifts.map((s: any) => s.group)).toEqual([...new Set([at(0), at(6)].map((x) => `${x.slice(0, 10)} Day`))]);
    // Live boards get the current shift's figures whenever the machine reports.
    await send('count', 8, { good: 1 });
    const update = await live.waitFor((e) => e.data.oeeUpdated.producedQuantity === 9);
    expect(update.data.oeeUpdated).toMatchObject({
      path: 'oee/site/area/line/m1',
      goodQuantity: 8,
      shift: expect.stringMatching(/ Day$/),
    });
    await live.close();
    const pareto = await hub.gql(
      `{ downtimePareto(scope: "oee/site", from: "${at(0)}", to: "${at(6)}") { reason seconds } }`,
    );
    expect(pareto.downtimePareto).toEqual([{ reason: 'JAM', seconds: 1 }]);
  });

  it('usage counts what a machine ran and made outside the shifts too; OEE does not', async () => {
    const ok = (r: any) => expect(Object.values(r)[0]).not.toHaveProperty('code');
    for (const [parent, code, level] of [
      [null, 'use', 'Enterprise'],
      ['use', 'site', 'Site'],
      ['use/site', 'area', 'Area'],
      ['use/site/area', 'line', 'ProductionLine'],
      ['use/site/area/line', 'm1', 'WorkCell'],
    ] as const) {
      ok(
        await hub.gql(
          'mutation ($i: CreateEquipmentInput!) { r: createEquipment(input: $i) { __typename ... on ErrorResult { code } } }',
          { i: { parentPath: parent, code, name: code, level } },
        ),
      );
    }
    // The only shift starts in two hours: the machine's run now is outside planned time.
    const hh = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const shift = { name: 'Later', start: hh(Date.now() + 2 * 3_600_000), end: hh(Date.now() + 3 * 3_600_000) };
    ok(
      await hub.gql(
        'mutation ($i: SetShiftCalendarInput!) { r: setShiftCalendar(input: $i) { __typename ... on ErrorResult { code } } }',
        { i: { scope: 'use/site', timeZone: 'UTC', shifts: [shift] } },
      ),
    );
    const t0 = Date.now() + 1000;
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const path = 'use/site/area/line/m1';
    const send = (kind: 'state' | 'count', seq: number, body: object) =>
      hub.bus.publishSignal(
        hub.bus.subjects.equipmentSignal(kind, path),
        Buffer.from(JSON.stringify({ ...body, source: 'plc-use', sequence: seq })),
        `plc-use:${seq}`,
      );
    await send('state', 1, { state: 'Running', at: at(0) });
    await send('count', 2, { good: 5, scrap: 1, at: at(1) });
    await send('state', 3, { state: 'Idle', at: at(2) });
    const window = `scope: "use", from: "${at(-1)}", to: "${at(3)}"`;
    const usage = async () =>
      (await hub.gql(`{ equipmentUsage(${window}) { path runningTime producedQuantity goodQuantity scrapQuantity } }`))
        .equipmentUsage;
    // Until the Idle is stored the run is still open; then it is 2 s, the parts counted outside the shift.
    const expected = [{ path, runningTime: 2, producedQuantity: 6, goodQuantity: 5, scrapQuantity: 1 }];
    for (let i = 0; i < 150 && JSON.stringify(await usage()) !== JSON.stringify(expected); i++) await sleep(100);
    expect(await usage()).toEqual(expected);
    const { oee } = await hub.gql(`{ oee(${window}) { actualProductionTime producedQuantity } }`);
    expect(oee).toEqual([{ actualProductionTime: 0, producedQuantity: 0 }]);
  });
});
