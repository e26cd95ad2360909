import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, sleep, startTestHub, subscribe, type TestHub } from './support/harness.js';
import { createOeeLine } from './support/plant.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/**
 * Late and backfilled signals count in OEE at their own times (ADR 0023): a shift replayed after
 * the fact on a machine created now, and a gap sent after newer signals, give the figures of the
 * same signals sent in order; a stop across a shift change is one stop in every grouping.
 *
 * "Sent live" is the same script sent in order to a machine that already existed when the script
 * began (its creation moved back in the database): each report is then newer than the last, which is
 * all that arriving live means to the hub once a signal carries its own `at`.
 */
const LINE = 'late/site/area/line';
const CALENDAR = {
  scope: 'late/site',
  timeZone: 'UTC',
  microstopThresholdSeconds: 60,
  shifts: [
    { name: 'Early', start: '06:00', end: '14:00', breaks: [{ start: '10:00', end: '10:20' }] },
    { name: 'Late', start: '14:00', end: '22:00', breaks: [{ start: '18:00', end: '18:30' }] },
    { name: 'Night', start: '22:00', end: '06:00', breaks: [] },
  ],
};
const MIN = 60_000;
/** The Early shift two days ago: wholly in the past, within the 7 days a signal may be late. */
const S = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000 + 6 * 60 * MIN;
const WINDOW = { from: new Date(S).toISOString(), to: new Date(S + 16 * 60 * MIN).toISOString() };

type Signal = { kind: 'state' | 'count'; minute: number; body: Record<string, unknown> };
const state = (minute: number, s: string, reason?: string): Signal => ({
  kind: 'state',
  minute,
  body: { state: s, ...(reason ? { reason } : {}) },
});
/** Two shifts of one machine, in time order: stops, a microstop, a delay, a repeat, planned downtime, counts. */
const SCRIPT: Signal[] = [
  state(-30, 'Running'),
  state(60, 'Down', 'JAM'),
  state(80, 'Running'),
  state(120, 'Idle', 'STARVED'), // 30 s: a microstop
  state(120.5, 'Running'),
  state(180, 'Running'), // a repeat
  state(200, 'Down', 'TOOL'),
  state(210, 'Running'),
  state(300, 'Idle', 'WAIT'),
  state(305, 'Running'),
  state(470, 'Down', 'JAM'), // 13:50 to 14:10: across the shift change
  state(490, 'Running'),
  state(600, 'Offline'),
  state(660, 'Running'),
  ...Array.from(
    { length: 32 },
    (_, i): Signal => ({ kind: 'count', minute: i * 30 + 1, body: { good: 50, scrap: 1 } }),
  ),
  { kind: 'count' as const, minute: 250, body: { good: 7 } }, // in a break: not counted
].sort((a, b) => a.minute - b.minute);

const FIGURES = `group plannedBusyTime actualProductionTime actualUnitDownTime actualUnitDelayTime microstopTime
  noDataTime producedQuantity goodQuantity unplannedStops availability performance quality oee mtbf mttr
  topDowntimeReasons { reason seconds occurrences }`;

describe.each(MODES)('late and backfilled signals in OEE (%s)', (mode) => {
  let hub: TestHub;
  const ok = (r: unknown) => expect(JSON.stringify(r)).not.toContain('"code"');

  /**
   * Publishes signals of the script for `machine` (sequence = index in the script, so re-sends are
   * duplicates); `again` gives them new message ids, as a re-send after JetStream's window has.
   */
  async function send(machine: string, signals: Signal[], again = '') {
    for (const s of signals) {
      const sequence = SCRIPT.indexOf(s);
      await hub.bus.publishSignal(
        hub.bus.subjects.equipmentSignal(s.kind, `${LINE}/${machine}`),
        Buffer.from(
          JSON.stringify({ ...s.body, at: new Date(S + s.minute * MIN).toISOString(), source: machine, sequence }),
        ),
        `${machine}:${sequence}${again}`,
      );
    }
  }
  /** Waits until the ingest has stored `n` state and count rows from `machine`. */
  async function stored(machine: string, n: number) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [{ rows }] = await hub.db.em.fork().execute<{ rows: number }[]>(
        `select (select count(*) from equipment_state_change where source = ?)
              + (select count(*) from production_count where source = ?) as rows`,
        [machine, machine],
      );
      if (Number(rows) >= n) return;
      if (Date.now() > deadline) throw new Error(`${machine}: ${rows} of ${n} signals stored`);
      await sleep(100);
    }
  }
  /** A machine that existed before the script's times, so signals sent in order are each the newest. */
  const existedBefore = (machine: string) =>
    hub.db.em
      .fork()
      .execute(`update equipment set state_since = now() - interval '4 days' where path = ?`, [`${LINE}/${machine}`]);
  const oee = async (machine: string, groupBy: string) =>
    (
      await hub.gql(
        `query ($s: String!, $from: DateTimeISO!, $to: DateTimeISO!) {
          oee(scope: $s, from: $from, to: $to, groupBy: ${groupBy}) { ${FIGURES} } }`,
        { s: `${LINE}/${machine}`, ...WINDOW },
      )
    ).oee as Record<string, unknown>[];
  const pareto = async (machine: string) =>
    (
      await hub.gql(
        `query ($s: String!, $from: DateTimeISO!, $to: DateTimeISO!) {
          downtimePareto(scope: $s, from: $from, to: $to) { reason seconds occurrences } }`,
        { s: `${LINE}/${machine}`, ...WINDOW },
      )
    ).downtimePareto;
  /** Everything the figures say about a machine, without its name. */
  const figures = async (machine: string) => ({
    equipment: (await oee(machine, 'Equipment')).map(({ group: _, ...f }) => f),
    shift: await oee(machine, 'Shift'),
    day: await oee(machine, 'Day'),
    pareto: await pareto(machine),
  });
  const current = async (machine: string) =>
    (
      await hub.db.em
        .fork()
        .execute<{ state: string; since: Date }[]>('select state, state_since as since from equipment where path = ?', [
          `${LINE}/${machine}`,
        ])
    ).map((r) => ({ state: r.state, since: new Date(r.since).toISOString() }));

  beforeAll(async () => {
    hub = await startTestHub(mode, { simulatorIntervalMs: 0, oeeUpdateIntervalMs: 300 });
    await createOeeLine(hub.gql, 'late', ['live', 'replay', 'gap', 'board'], 10);
    ok(
      await hub.gql(
        'mutation ($i: SetShiftCalendarInput!) { r: setShiftCalendar(input: $i) { __typename ... on ErrorResult { code } } }',
        { i: CALENDAR },
      ),
    );
    await existedBefore('live');
    for (const s of SCRIPT) await send('live', [s]);
    await stored('live', SCRIPT.length);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('counts a stop across a shift change once in every grouping, its time split by shift', async () => {
    const [machine] = await oee('live', 'Equipment');
    // Down: JAM 20 min, TOOL 10 min, JAM 20 min across 14:00 (10 min in each shift).
    expect(machine).toMatchObject({ unplannedStops: 3, actualUnitDownTime: 3000, mttr: 1000 });
    const shifts = await oee('live', 'Shift');
    expect(shifts.map((s) => [s.group, s.unplannedStops, s.actualUnitDownTime])).toEqual([
      [`${WINDOW.from.slice(0, 10)} Early`, 3, 2400],
      [`${WINDOW.from.slice(0, 10)} Late`, 0, 600],
    ]);
    const [day] = await oee('live', 'Day');
    expect(day).toMatchObject({ unplannedStops: 3, actualUnitDownTime: 3000, mttr: 1000 });
    expect(day!.mtbf).toBe(machine!.mtbf);
    expect(day!.topDowntimeReasons).toEqual(machine!.topDowntimeReasons);
    expect(await pareto('live')).toEqual([
      { reason: 'JAM', seconds: 2400, occurrences: 2 },
      { reason: 'TOOL', seconds: 600, occurrences: 1 },
      { reason: 'WAIT', seconds: 300, occurrences: 1 },
    ]);
  });

  it('gives a shift replayed after the fact on a machine created now the figures of the live machine', async () => {
    await send('replay', SCRIPT);
    await stored('replay', SCRIPT.length);
    const live = await figures('live');
    // Counts at minutes 1, 31, … 931; those at 241 and 721 (and 250) fall in the breaks.
    expect(live.equipment[0]).toMatchObject({ producedQuantity: 30 * 51, unplannedStops: 3 });
    expect((live.equipment[0]!.availability as number) > 0.9).toBe(true);
    expect(await figures('replay')).toEqual(live);
    // The current state follows the newest report, as it does live.
    expect(await current('replay')).toEqual(await current('live'));
  });

  it("folds a gap's signals sent after newer ones into the history, and ignores them sent again", async () => {
    await existedBefore('gap');
    const inGap = (s: Signal) => s.minute >= 100 && s.minute < 480;
    await send(
      'gap',
      SCRIPT.filter((s) => !inGap(s)),
    );
    await stored('gap', SCRIPT.filter((s) => !inGap(s)).length);
    const before = await figures('gap');
    await send('gap', SCRIPT.filter(inGap));
    await stored('gap', SCRIPT.length);
    const live = await figures('live');
    expect(before).not.toEqual(live);
    expect(await figures('gap')).toEqual(live);
    expect(await current('gap')).toEqual(await current('live'));
    // A buffered gateway that sends its buffer twice changes nothing.
    const duplicates = async () => (await hub.gql('{ signalIngest { duplicates } }')).signalIngest.duplicates;
    const seen = await duplicates();
    await send('gap', SCRIPT.filter(inGap), ':again');
    const deadline = Date.now() + 30_000;
    while ((await duplicates()) < seen + SCRIPT.filter(inGap).length && Date.now() < deadline) await sleep(100);
    expect(await duplicates()).toBe(seen + SCRIPT.filter(inGap).length);
    expect(await figures('gap')).toEqual(live);
    const [{ rows }] = await hub.db.em
      .fork()
      .execute<{ rows: number }[]>(
        `select count(*)::int as rows from equipment_state_change where source = 'gap' and not applied`,
      );
    expect(rows).toBe(SCRIPT.filter((s) => inGap(s) && s.kind === 'state').length);
  });

  it('refuses a signal dated more than 7 days before it reached the hub, saying why', async () => {
    const { r } = await hub.gql(
      `mutation ($i: [EquipmentSignalInput!]!) { r: publishSignals(signals: $i) {
        __typename ... on ErrorResult { code message } } }`,
      {
        i: [
          {
            kind: 'State',
            path: `${LINE}/gap`,
            state: 'Running',
            at: new Date(Date.now() - 8 * 86_400_000).toISOString(),
            source: 'old-clock',
            sequence: 1,
          },
        ],
      },
    );
    expect(r.message).toMatch(/more than 7 days before the signal reached the hub/);
  });

  it('recomputes the live figures of the current shift when a late stop lands in it', async () => {
    // Its own calendar: one shift a day without breaks, so the late stop is in planned time.
    const board = { scope: `${LINE}/board`, timeZone: 'UTC', shifts: [{ name: 'Day', start: '00:00', end: '00:00' }] };
    ok(
      await hub.gql(
        'mutation ($i: SetShiftCalendarInput!) { r: setShiftCalendar(input: $i) { __typename ... on ErrorResult { code } } }',
        { i: board },
      ),
    );
    while (Date.now() % 86_400_000 < 6 * MIN) await sleep(1000); // the stop must lie in today's shift
    const live = await subscribe(
      hub.url,
      `subscription { oeeUpdated(scope: "${LINE}/board") { path shift availability } }`,
      undefined,
      hub.localAdminToken,
    );
    const now = Date.now();
    const at = (ms: number) => new Date(now - ms).toISOString();
    const publish = (sequence: number, body: object) =>
      hub.bus.publishSignal(
        hub.bus.subjects.equipmentSignal('state', `${LINE}/board`),
        Buffer.from(JSON.stringify({ ...body, source: 'board', sequence })),
        `board:${sequence}`,
      );
    await publish(1, { state: 'Running', at: at(5 * MIN) });
    await publish(2, { state: 'Running', at: at(0) });
    const first = (await live.waitFor((e) => e.data.oeeUpdated.availability > 0)).data.oeeUpdated;
    // Reported late: a 3-minute stop between the two reports above. It takes 180 s of running time
    // from a shift of at most a day; the seconds that pass meanwhile add far less.
    await publish(3, { state: 'Down', reason: 'JAM', at: at(4 * MIN) });
    await publish(4, { state: 'Running', at: at(MIN) });
    const drop = 180 / ((now % 86_400_000) / 1000);
    const update = await live.waitFor((e) => e.data.oeeUpdated.availability < first.availability - drop / 2);
    expect(update.data.oeeUpdated.shift).toBe(`${new Date(now).toISOString().slice(0, 10)} Day`);
    await live.close();
  });
});
