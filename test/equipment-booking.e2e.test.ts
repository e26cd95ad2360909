import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { MODES, sleep, startTestHub, type TestHub } from './support/harness.js';
import { tableCounts } from './support/plant.js';
import { draftOrder, LINE_1, LINE_1_ASSIGNMENTS, LINE_2, plannedWindow, RELEASE, TESTER } from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const WELDER_1 = `${LINE_1}/welder-1`;
const PRESS_1 = `${LINE_1}/press-1`;
const INSPECTOR = 'acme/berlin/packaging/line-3/inspector-1';

/**
 * An order runs on its own line's equipment (or a unit its master record names for the step), and
 * a unit is not given to two released orders at the same time (issue 14).
 */
describe.each(MODES)('equipment booking at release (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  const run = (query: string, variables?: object) => hub.gql(query, variables as Record<string, unknown>);
  const release = async (number: string, assignments: object[] = LINE_1_ASSIGNMENTS) =>
    (await run(RELEASE, { i: { number, assignments } })).r;
  const state = async (number: string) => (await run(`{ workOrder(number: "${number}") { state } }`)).workOrder.state;
  const cancel = (number: string) =>
    run(`mutation { cancelWorkOrder(input: { number: "${number}", reason: "test done" }) { __typename } }`);

  it("refuses an order of line 2 borrowing line 1's welder, with every other problem, and changes nothing", async () => {
    await draftOrder(run, 'WO-B1', { line: LINE_2, window: 1 });
    const before = await tableCounts(hub);
    const r = await release('WO-B1', [
      { segment: '10-stamp', equipment: `${LINE_2}/press-3`, operators: ['E1002'] },
      { segment: '20-weld', equipment: WELDER_1, operators: ['E1001'] },
      // The master record names line 2's tester for inspection, nothing on line 3.
      { segment: '30-inspect', equipment: INSPECTOR, operators: ['E2001'] },
    ]);
    expect(r.__typename).toBe('ReleaseBlocked');
    expect(r.problems.map((p: any) => [p.kind, p.segment, p.subject])).toEqual([
      ['NotQualified', '10-stamp', 'E1002'],
      ['EquipmentOutsideLine', '20-weld', WELDER_1],
      ['EquipmentOutsideLine', '30-inspect', INSPECTOR],
    ]);
    expect(r.problems[1].message).toBe(
      `Segment 20-weld: ${WELDER_1} lies outside the order's line ${LINE_2}; assign equipment of the line, or name it in the step's outsideEquipment in the master record.`,
    );
    expect(await tableCounts(hub)).toEqual(before);
    expect(await state('WO-B1')).toBe('Draft');
    // Line 2's own units, and its tester for line 1's orders (named in the master record), are fine.
    await draftOrder(run, 'WO-B1-OK', { window: 2 });
    expect((await release('WO-B1-OK')).state).toBe('Released');
    await cancel('WO-B1-OK');
  });

  it('refuses a unit another released order holds in an overlapping window, until that order lets go', async () => {
    await draftOrder(run, 'WO-B2', { window: 10 });
    expect((await release('WO-B2')).state).toBe('Released');
    const { plannedStart } = plannedWindow(10);
    const halfway = new Date(Date.parse(plannedStart) + 4 * 3_600_000).toISOString();
    const end = new Date(Date.parse(plannedStart) + 12 * 3_600_000).toISOString();
    await draftOrder(run, 'WO-B3', { planned: { plannedStart: halfway, plannedEnd: end } });
    const before = await tableCounts(hub);
    const r = await release('WO-B3');
    expect(r.__typename).toBe('ReleaseBlocked');
    expect(r.problems.map((p: any) => [p.kind, p.subject])).toEqual([
      ['EquipmentDoubleBooked', PRESS_1],
      ['EquipmentDoubleBooked', WELDER_1],
      ['EquipmentDoubleBooked', TESTER],
    ]);
    expect(r.problems[0].message).toMatch(
      /^Segment 10-stamp: .*press-1 is assigned to order WO-B2 \(\d{4}-.* – \d{4}-.*\), which overlaps this order \(\d{4}-.*\); plan them apart or assign another unit\.$/,
    );
    expect(await tableCounts(hub)).toEqual(before);
    expect(await state('WO-B3')).toBe('Draft');

    // The next window does not overlap: the same units are free for it.
    await draftOrder(run, 'WO-B4', { window: 11 });
    expect((await release('WO-B4')).state).toBe('Released');
    // Without planned times an order overlaps every other holding its units.
    await draftOrder(run, 'WO-B5');
    const unplanned = await release('WO-B5');
    expect(new Set(unplanned.problems.map((p: any) => p.message.match(/order (WO-B\d)/)[1]))).toEqual(
      new Set(['WO-B2', 'WO-B4']),
    );
    expect(unplanned.problems[0].message).toMatch(/which overlaps this order \(without a planned start and end\)/);
    // A running order still holds its units; a cancelled one lets them go.
    expect(
      (await run('mutation { startWorkOrder(input: { number: "WO-B2" }) { __typename } }')).startWorkOrder,
    ).toEqual({
      __typename: 'WorkOrder',
    });
    expect((await release('WO-B3')).problems.map((p: any) => p.kind)).toContain('EquipmentDoubleBooked');
    await cancel('WO-B4');
    await run('mutation { pauseWorkOrder(input: { number: "WO-B2", reason: "test" }) { __typename } }');
    await cancel('WO-B2');
    expect((await release('WO-B3')).state).toBe('Released');
    await cancel('WO-B3');
  });

  it('lets only one of two overlapping orders released at the same moment have the unit', async () => {
    // Planned for the line and for its whole area: releasing an order locks its own equipment row,
    // which would make two orders of one line take turns anyway.
    await draftOrder(run, 'WO-C1', { window: 20 });
    await draftOrder(run, 'WO-C2', { window: 20, line: 'acme/berlin/assembly' });
    // On PostgreSQL, hold the coil both releases reserve, so that both have checked the units before
    // either can commit: only the units' own lock keeps the second from finding them free.
    const holder = mode === 'postgres+nats' ? new pg.Client({ connectionString: hub.shared.databaseUrl }) : null;
    await holder?.connect();
    await holder?.query("begin; select * from material_lot where lot_number = 'L-COIL-0001' for update");
    const releasing = Promise.all([release('WO-C1'), release('WO-C2')]);
    await sleep(1000);
    await holder?.query('commit');
    await holder?.end();
    const answers = await releasing;
    expect(answers.map((a) => a.__typename).sort()).toEqual(['ReleaseBlocked', 'WorkOrder']);
    const blocked = answers.find((a) => a.__typename === 'ReleaseBlocked');
    expect(new Set(blocked.problems.map((p: any) => p.kind))).toEqual(new Set(['EquipmentDoubleBooked']));
    expect([await state('WO-C1'), await state('WO-C2')].sort()).toEqual(['Draft', 'Released']);
  });
});
