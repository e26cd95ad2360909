import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, MODES, startTestHub, type TestHub } from './support/harness.js';
import { tableCounts } from './support/plant.js';
import { addDays, localDate, mondayAhead, zonedTime } from './support/calendar.js';
import { draftOrder, LINE_1, LINE_2, R } from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const PROBLEMS = `... on ScheduleBlocked { problems { kind orderNumber subject message } }`;
const SCHEDULE = `mutation ($i: ScheduleWorkOrderInput!) { r: scheduleWorkOrder(input: $i) { ${R}
  ... on ScheduleEntry { id start end } ${PROBLEMS} } }`;
const OPEN_MO = `mutation ($i: OpenMaintenanceOrderInput!) { r: openMaintenanceOrder(input: $i) { ${R} ... on MaintenanceOrder { number } } }`;
const ROSTER = `mutation ($i: RosterShiftInput!) { r: rosterShift(input: $i) { ${R} ... on ShiftAssignment { id } } }`;
const RECEIPT = `mutation ($i: RecordPlannedReceiptInput!) { r: recordPlannedReceipt(input: $i) { ${R}
  ... on PlannedReceipt { reference quantity unitOfMeasure } } }`;

type Problem = { kind: string; subject: string; message: string; orderNumber: string };

const ZONE = 'Europe/Berlin';
/** The instant of the plant's wall-clock time `hhmm` on local date `date` (YYYY-MM-DD), whatever DST says. */
const berlin = (date: string, hhmm: string) => zonedTime(ZONE, date, hhmm);
const plusDays = addDays;

/**
 * The constraints of issue 20 beyond the unit and the calendar: maintenance orders' planned windows
 * and holds, the shift roster, planned receipts of material; and the demo plant's week walked through
 * GraphQL with every conflict named.
 */
describe.each(MODES)('scheduling constraints (%s)', (mode) => {
  let hub: TestHub;
  // A Monday three weeks ahead of the run: the tests plan there, on dates of their own, whenever they run.
  const MONDAY = mondayAhead(ZONE, 21);
  const day = (n: number) => plusDays(MONDAY, n);
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  const run = (query: string, variables?: object) => hub.gql(query, variables as Record<string, unknown>);
  const schedule = async (number: string, start: string) => (await run(SCHEDULE, { i: { number, start } })).r;
  const refused = async (number: string, start: string) => {
    const before = await tableCounts(hub);
    const r = await schedule(number, start);
    expect(r.__typename).toBe('ScheduleBlocked');
    expect(await tableCounts(hub)).toEqual(before);
    return r.problems as Problem[];
  };
  const openOrder = async (i: object) => expect((await run(OPEN_MO, { i })).r.__typename).toBe('MaintenanceOrder');

  it("blocks a maintenance order's planned window, a calibration's hold, and an overdue repair until sign-off", async () => {
    await openOrder({
      number: 'PM-T1',
      kind: 'Preventive',
      equipment: `${LINE_1}/press-1`,
      description: 'Hydraulic oil change',
      plannedStart: berlin(day(0), '08:00'),
      plannedEnd: berlin(day(0), '12:00'),
    });
    await draftOrder(run, 'WO-M1', { line: LINE_1, quantity: 100 });
    // 07:30–08:14 on the line runs into the window on one of its units.
    const problems = await refused('WO-M1', berlin(day(0), '07:30'));
    expect(problems.map((p) => [p.kind, p.subject])).toEqual([['MaintenanceWindow', 'PM-T1']]);
    expect(problems[0]!.message).toMatch(
      /falls in maintenance order PM-T1 on acme\/berlin\/assembly\/line-1\/press-1 from .* to .*: Preventive maintenance order PM-T1: Hydraulic oil change\.$/,
    );
    expect((await schedule('WO-M1', berlin(day(0), '12:30'))).__typename).toBe('ScheduleEntry');

    // A calibration due at 06:00 and planned for 08:00–09:00 holds the welder from 06:00 to 09:00.
    await openOrder({
      number: 'CAL-T1',
      kind: 'Calibration',
      equipment: `${LINE_1}/welder-1`,
      description: 'Weld current calibration',
      dueAt: berlin(day(1), '06:00'),
      plannedStart: berlin(day(1), '08:00'),
      plannedEnd: berlin(day(1), '09:00'),
    });
    await draftOrder(run, 'WO-M2', { line: LINE_1, quantity: 100 });
    const held = await refused('WO-M2', berlin(day(1), '06:30'));
    expect(held.map((p) => [p.kind, p.subject])).toEqual([['MaintenanceWindow', 'CAL-T1']]);
    expect(held[0]!.message).toContain(`from ${berlin(day(1), '06:00')} to ${berlin(day(1), '09:00')}`);
    expect((await schedule('WO-M2', berlin(day(1), '09:30'))).__typename).toBe('ScheduleEntry');

    // A repair planned to be done an hour ago and still open holds line 2 until it is signed off.
    await openOrder({
      number: 'CM-T1',
      kind: 'Corrective',
      equipment: `${LINE_2}/tester-1`,
      description: 'Replace the test fixture',
      plannedStart: new Date(Date.now() - 2 * 3_600_000).toISOString(),
      plannedEnd: new Date(Date.now() - 3_600_000).toISOString(),
    });
    await draftOrder(run, 'WO-M3', { line: LINE_2, quantity: 100 });
    const overdue = await refused('WO-M3', berlin(day(2), '07:00'));
    expect(overdue.map((p) => [p.kind, p.subject])).toEqual([['MaintenanceWindow', 'CM-T1']]);
    expect(overdue[0]!.message).toMatch(/until it is signed off: Corrective maintenance order CM-T1/);
    const cancelled = await run(
      `mutation { r: cancelMaintenanceOrder(input: { number: "CM-T1", reason: "Fixture swapped by the vendor" }) { ${R} } }`,
    );
    expect(cancelled.r.__typename).toBe('MaintenanceOrder');
    expect((await schedule('WO-M3', berlin(day(2), '07:00'))).__typename).toBe('ScheduleEntry');
  });

  it('counts only rostered, currently qualified operators per shift, and keeps the roster to its scope', async () => {
    const roster = (i: object) => run(ROSTER, { i: { scope: 'acme/berlin', validFrom: day(5), ...i } });
    expect((await roster({ shift: 'Evening', employeeId: 'E1001' })).r.message).toMatch(/Early, Late, Night/);
    expect((await roster({ shift: 'Late', employeeId: 'E1001', pattern: 'WX' })).r.code).toBe('InvalidInput');
    expect((await roster({ shift: 'Late', employeeId: 'E1001', validUntil: day(4) })).r.code).toBe('InvalidInput');
    expect((await roster({ shift: 'Late', employeeId: 'E9999' })).r.code).toBe('NotFound');
    const { key } = await run(
      `mutation { key: createApiKey(input: { name: "packaging-roster", grants: [{ role: Integrator, scope: "acme/berlin/packaging" }] }) {
        ... on CreatedApiKey { secret } } }`,
    );
    const foreign = await graphql(
      hub.url,
      ROSTER,
      { i: { scope: 'acme/berlin', shift: 'Late', employeeId: 'E1001', validFrom: day(5) } },
      key.secret,
    );
    expect(foreign.r.code).toBe('NotFound');

    // The demo's roster has nobody on nights, and its late shift works Monday to Friday.
    await draftOrder(run, 'WO-N1', { line: LINE_1, quantity: 100 });
    const night = await refused('WO-N1', berlin(day(3), '23:00'));
    expect(night.map((p) => [p.kind, p.subject])).toEqual(
      ['press-setup', 'spot-welding', 'final-inspection'].map((q) => ['OperatorsShort', `${day(3)} Night/${q}`]),
    );
    expect(night[0]!.message).toBe(
      `Shift ${day(3)} Night needs 1 operator qualified for press-setup at once for the orders running beside each other; 0 rostered are.`,
    );
    const saturday = () => refused('WO-N1', berlin(day(5), '15:00'));
    expect((await saturday()).map((p) => p.subject)).toEqual(
      ['press-setup', 'spot-welding', 'final-inspection'].map((q) => `${day(5)} Late/${q}`),
    );
    // Ana (welding, press set-up) covers that Saturday; Ben's press set-up has lapsed, so he would not.
    const ana = (await roster({ shift: 'Late', employeeId: 'E1001', validUntil: day(5) })).r;
    expect(ana.__typename).toBe('ShiftAssignment');
    expect((await roster({ shift: 'Late', employeeId: 'E1002', validUntil: day(5) })).r.__typename).toBe(
      'ShiftAssignment',
    );
    expect((await saturday()).map((p) => p.subject)).toEqual([`${day(5)} Late/final-inspection`]);
    expect((await roster({ shift: 'Late', employeeId: 'E2001', pattern: 'W------' })).r.__typename).toBe(
      'ShiftAssignment',
    );
    expect((await schedule('WO-N1', berlin(day(5), '15:00'))).__typename).toBe('ScheduleEntry');
    // A crew pattern of one day in seven: Dana is not on the Sunday after.
    await draftOrder(run, 'WO-N2', { line: LINE_1, quantity: 100 });
    expect((await refused('WO-N2', berlin(day(6), '15:00'))).map((p) => p.subject)).toContain(
      `${day(6)} Late/final-inspection`,
    );

    const { shiftRoster } = await run(
      `{ shiftRoster(scope: "acme/berlin") { id shift employeeId validFrom validUntil pattern } }`,
    );
    expect(shiftRoster.filter((a: any) => a.validFrom === day(5)).map((a: any) => [a.employeeId, a.pattern])).toEqual([
      ['E1001', null],
      ['E1002', null],
      ['E2001', 'W------'],
    ]);
    const removed = await run(
      `mutation ($i: RemoveShiftAssignmentInput!) { r: removeShiftAssignment(input: $i) { ${R} ... on ShiftAssignment { employeeId } } }`,
      { i: { id: ana.id } },
    );
    expect(removed.r.employeeId).toBe('E1001');
    const { auditTrail } = await run(
      `query ($id: String!) { auditTrail(entityType: "ShiftAssignment", entityId: $id) { edges { node { action } } } }`,
      { id: ana.id },
    );
    expect(auditTrail.edges.map((e: any) => e.node.action).sort()).toEqual(['ShiftAssigned', 'ShiftAssignmentRemoved']);
    // Its audit records lie at the calendar's scope: a supervisor of the site reads them.
    const { reader } = await run(
      `mutation { reader: createApiKey(input: { name: "berlin-supervisor", grants: [{ role: Supervisor, scope: "acme/berlin" }] }) {
        ... on CreatedApiKey { secret } } }`,
    );
    const seen = await graphql(
      hub.url,
      `query ($id: String!) { auditTrail(entityType: "ShiftAssignment", entityId: $id) { edges { node { action } } } }`,
      { id: ana.id },
      reader.secret,
    );
    expect(seen.auditTrail.edges).toHaveLength(2);
  });

  it('counts planned receipts due by the start, and reports the shortfall per material', async () => {
    const coilShort = (problems: Problem[]) => problems.filter((p) => p.kind === 'MaterialShort');
    // 13,000 brackets need 5,460 kg of coil; 5,200 kg are on hand (less what earlier drafts take).
    await draftOrder(run, 'WO-P1', { line: LINE_1, quantity: 13000 });
    const start = berlin(day(14), '07:00');
    const short = coilShort(await refused('WO-P1', start));
    expect(short.map((p) => p.subject)).toEqual(['STEEL-COIL-2MM']);
    const missing = Number(/short (\d+(?:\.\d+)?) kg\.$/.exec(short[0]!.message)![1]);
    // The demo's purchase order of bolts is due before then: bolts are not short (20,000 on hand, 26,000 needed).
    expect(short[0]!.message).not.toMatch(/planned receipts/);

    const receipt = (expectedAt: string, quantity = missing) =>
      run(RECEIPT, {
        i: { reference: 'PO-T1/10', material: 'STEEL-COIL-2MM', quantity, expectedAt, location: 'acme/berlin' },
      });
    expect((await receipt(berlin(day(14), '09:00'))).r).toMatchObject({ reference: 'PO-T1/10', unitOfMeasure: 'kg' });
    // Due after the start: not counted.
    expect(coilShort(await refused('WO-P1', start)).map((p) => p.message)).toEqual([short[0]!.message]);
    // Moved before it (the ERP updated the line): counted, and enough.
    expect((await receipt(berlin(day(13), '09:00'))).r.__typename).toBe('PlannedReceipt');
    expect(coilShort(await refused('WO-P1', start))).toEqual([]);
    // Half of it: short by the rest, the receipt named.
    await receipt(berlin(day(13), '09:00'), missing / 2);
    const half = coilShort(await refused('WO-P1', start));
    expect(half[0]!.message).toMatch(
      new RegExp(`\\(${missing / 2} kg of planned receipts counted\\): short ${missing / 2} kg\\.$`),
    );
    expect(
      (
        await run(RECEIPT, {
          i: { reference: 'PO-T1/10', material: 'NOPE', quantity: 1, expectedAt: start, location: 'acme/berlin' },
        })
      ).r.code,
    ).toBe('NotFound');
    expect((await receipt(start, 0)).r.code).toBe('InvalidInput');
    const closed = await run(
      `mutation { r: closePlannedReceipt(input: { reference: "PO-T1/10", reason: "Received as lot L-COIL-0003" }) { ${R} ... on PlannedReceipt { closedAt } } }`,
    );
    expect(closed.r.closedAt).toBeTruthy();
    expect(coilShort(await refused('WO-P1', start)).map((p) => p.message)).toEqual([short[0]!.message]);
    const { plannedReceipts } = await run('{ plannedReceipts(material: "BOLT-M8") { reference quantity } }');
    expect(plannedReceipts).toEqual([{ reference: 'PO-4500012345/10', quantity: 10000 }]);
  });

  it('walks a week of the demo plant through GraphQL and names every conflict, whenever it runs', async () => {
    // The demo's preventive maintenance lies in an early shift a few days after seeding: the week is built around it.
    const { maintenanceOrder: pm } = await run(
      `{ maintenanceOrder(number: "PM-2026-0417") { kind state plannedStart plannedEnd } }`,
    );
    expect(pm).toMatchObject({ kind: 'Preventive', state: 'Open' });
    const D = localDate(ZONE, Date.parse(pm.plannedStart));
    expect([pm.plannedStart, pm.plannedEnd]).toEqual([berlin(D, '06:00'), berlin(D, '14:00')]);
    const week = Array.from({ length: 7 }, (_, n) => plusDays(D, n - 2));
    const dow = (d: string) => new Date(`${d}T00:00:00Z`).getUTCDay();
    const saturday = week.find((d) => dow(d) === 6)!;
    const weekday = week.find((d) => dow(d) >= 1 && dow(d) <= 5 && d !== D)!;
    const { displayLabels } = await run(`{ displayLabels(path: "${LINE_1}") { profile workOrder } }`);
    expect(displayLabels).toEqual({ profile: 'Discrete', workOrder: 'Build order' });

    const plan: [string, string, number, string, string][] = [
      ...week.map(
        (d, n) =>
          [`WO-WK-${n}`, LINE_1, 100, 'PD-BRACKET-A', berlin(d, '07:00')] as [string, string, number, string, string],
      ),
      ['WO-WK-OVL', LINE_1, 100, 'PD-BRACKET-A', berlin(week[1]!, '07:20')],
      ['WO-WK-PM', LINE_2, 100, 'PD-BRACKET-A', berlin(D, '08:00')],
      ['WO-WK-SAT', LINE_1, 100, 'PD-BRACKET-A', berlin(saturday, '15:00')],
      ['WO-WK-BRK', LINE_2, 100, 'PD-BRACKET-A', berlin(week[4]!, '10:10')],
      ['WO-WK-PN', 'acme/berlin/packaging/line-3', 600, 'PD-COOKIES-PEANUT', berlin(week[3]!, '07:00')],
      ['WO-WK-PL', 'acme/berlin/packaging/line-3', 600, 'PD-COOKIES-PLAIN', berlin(week[3]!, '08:00')],
      ['WO-WK-BIG', LINE_2, 13000, 'PD-BRACKET-A', berlin(week[6]!, '07:00')],
    ];
    for (const [number, line, quantity, productDefinition] of plan)
      await draftOrder(run, number, { line, quantity, productDefinition });
    const SCHEDULE_MANY = `mutation ($i: [ScheduleWorkOrderInput!]!) { r: scheduleWorkOrders(inputs: $i) { ${R}
      ... on ScheduledOrders { entries { orderNumber } } ${PROBLEMS} } }`;
    const inputs = plan.map(([number, , , , start]) => ({ number, start }));
    const before = await tableCounts(hub);
    const { r: blocked } = await run(SCHEDULE_MANY, { i: inputs });
    expect(blocked.__typename).toBe('ScheduleBlocked');
    expect(await tableCounts(hub)).toEqual(before);
    const problems = blocked.problems as Problem[];
    const named = (kind: string, order: string) =>
      problems.filter((p) => p.kind === kind && p.orderNumber === order).map((p) => p.subject);
    expect(named('UnitOverlap', 'WO-WK-OVL')).toEqual([LINE_1]);
    expect(named('MaintenanceWindow', 'WO-WK-PM')).toEqual(['PM-2026-0417']);
    expect(problems.find((p) => p.kind === 'MaintenanceWindow')!.message).toMatch(/Quarterly inspection/);
    expect(named('OperatorsShort', 'WO-WK-SAT')).toEqual(
      ['press-setup', 'spot-welding', 'final-inspection'].map((q) => `${saturday} Late/${q}`),
    );
    expect(named('DuringBreak', 'WO-WK-BRK')).toEqual([`${week[4]} Early`]);
    expect(named('ChangeoverTime', 'WO-WK-PL')).toEqual(['allergen-peanut-out']);
    expect(named('MaterialShort', 'WO-WK-BIG')).toEqual(['STEEL-COIL-2MM']);
    const troubled = new Set(problems.map((p) => p.orderNumber));
    for (const n of [0, 2, 3, 4, 5]) expect(troubled.has(`WO-WK-${n}`)).toBe(false);

    // The planner resolves each: drops the overlap and the big order, moves the others.
    const moved: Record<string, string> = {
      'WO-WK-PM': berlin(week[3]!, '08:00'),
      'WO-WK-SAT': berlin(weekday, '15:00'),
      'WO-WK-BRK': berlin(week[4]!, '10:30'),
      'WO-WK-PL': berlin(week[3]!, '09:00'),
    };
    const fixed = inputs
      .filter((i) => !['WO-WK-OVL', 'WO-WK-BIG'].includes(i.number))
      .map((i) => ({ number: i.number, start: moved[i.number] ?? i.start }));
    const { r: placed } = await run(SCHEDULE_MANY, { i: fixed });
    expect(placed.__typename).toBe('ScheduledOrders');
    expect(placed.entries).toHaveLength(fixed.length);
    const { r: sanitation } = await run(
      `mutation ($i: ScheduleCleaningInput!) { r: scheduleCleaning(input: $i) { ${R} ... on ScheduleEntry { kind } ${PROBLEMS} } }`,
      {
        i: { unit: 'acme/berlin/packaging/line-3', kind: 'Sanitation', start: berlin(week[3]!, '07:50'), minutes: 60 },
      },
    );
    expect(sanitation.kind).toBe('Sanitation');
    const { schedule: slots } = await run(
      `query ($f: DateTimeISO!, $t: DateTimeISO!) { schedule(scope: "acme/berlin", from: $f, to: $t) {
        entry { orderNumber kind } readiness problems { kind subject } } }`,
      { f: berlin(week[0]!, '00:00'), t: berlin(plusDays(week[6]!, 1), '00:00') },
    );
    expect(slots).toHaveLength(fixed.length + 1);
    expect(slots.flatMap((s: any) => s.problems)).toEqual([]);
    expect(slots.every((s: any) => s.readiness === 'Ready')).toBe(true);
  });
});
