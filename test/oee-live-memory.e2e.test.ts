import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_NATS_URL,
  createTestDatabase,
  deleteNatsNamespace,
  graphql,
  subscribe,
  uniqueName,
} from './support/harness.js';
import { createApiKeyWithCli, spawnHub, type HubProcess } from './support/process.js';
import { createOeeLine } from './support/plant.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const MACHINES = ['m1', 'm2', 'm3', 'm4'];
const COUNTS_PER_MACHINE = 500_000; // 2,000,000 count rows in the current shift
const STATE_STEP_MS = 100; // a state report every 100 ms: 9 s Running (90 repeats), then 1 s Down JAM (10)
const CYCLE_STEPS = 100;
const IDEAL_CYCLE_SECONDS = 0.01;
const HOUR = 3_600_000;

/** Peak and current resident memory of a process, in MB (Linux). */
function residentMb(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) / 1024;
  return { peak: Math.round(kb('VmHWM')), now: Math.round(kb('VmRSS')) };
}

/**
 * Live OEE on a shift with two million count rows and hundreds of thousands of state reports, in a
 * hub process whose heap is capped at 300 MB: the figures are aggregated by the database, so the
 * hub's memory does not grow with the shift (it used to load every row as an entity and die).
 */
describe('live OEE over a large shift in a 300 MB heap (postgres+nats)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const namespace = uniqueName('oeemem');
  let hub: HubProcess;
  let token: string;
  let shiftStart: number;
  let seededUntil: number;
  let downCycles: number;
  const alive = () => hub.child.exitCode === null && hub.child.signalCode === null;
  const gql = (query: string, variables?: Record<string, unknown>) => graphql(hub.url, query, variables, token);

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      DATABASE_URL: database.url,
      NATS_URL: TEST_NATS_URL,
      PLANTGRAPH_NATS_NAMESPACE: namespace,
      PLANTGRAPH_FLOWS: 'off',
      PLANTGRAPH_RATE_LIMIT_PER_SECOND: '1000',
      PLANTGRAPH_RATE_LIMIT_BURST: '1000',
      PLANTGRAPH_OEE_UPDATE_INTERVAL_MS: '1000',
    };
    token = await createApiKeyWithCli(env, 'oee-memory');
    hub = await spawnHub({ ...env, NODE_OPTIONS: '--max-old-space-size=300' });
    await createOeeLine(gql, 'mem', MACHINES, IDEAL_CYCLE_SECONDS);
    const ok = (r: any) => expect(JSON.stringify(r)).not.toContain('"code"');
    // A 12-hour shift that began one to two hours ago, so the whole test runs inside it.
    const now = Date.now();
    shiftStart = Math.floor((now - HOUR) / HOUR) * HOUR;
    const hh = (ms: number) => `${String(new Date(ms).getUTCHours()).padStart(2, '0')}:00`;
    ok(
      await gql(
        `mutation { r: setShiftCalendar(input: { scope: "mem/site", timeZone: "UTC", microstopThresholdSeconds: 1, shifts: [{ name: "Long", start: "${hh(shiftStart)}", end: "${hh(shiftStart + 12 * HOUR)}" }] }) { __typename ... on ErrorResult { code } } }`,
      ),
    );

    // Seeded straight into the tables: whole 10-second cycles of states from the shift start, then Running.
    const cycles = Math.floor((now - shiftStart) / (CYCLE_STEPS * STATE_STEP_MS));
    downCycles = cycles;
    const steps = cycles * CYCLE_STEPS;
    seededUntil = shiftStart + steps * STATE_STEP_MS;
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const machines = MACHINES.map((m) => `mem/site/area/line/${m}`);
      await client.query(
        `insert into equipment_state_change (equipment_id, path, state, reason, at, source, sequence, applied)
         select e.id, e.path,
                case when j < $3 and j % $4 >= $4 - 10 then 'Down' else 'Running' end,
                case when j < $3 and j % $4 >= $4 - 10 then 'JAM' end,
                $2::timestamptz + j * $5 * interval '1 millisecond', 'seed-state', j + 1000000 * e.ord, true
         from (select id, path, row_number() over (order by path) as ord from equipment where path = any($1)) e
         cross join generate_series(0, $3) j`,
        [machines, new Date(shiftStart), steps, CYCLE_STEPS, STATE_STEP_MS],
      );
      await client.query(
        `insert into production_count (equipment_id, path, at, good, scrap, rework, source, sequence)
         select e.id, e.path, $2::timestamptz + (i::bigint * $4::bigint / $3) * interval '1 millisecond',
                case when i % 100 = 0 then 0 else 1 end, case when i % 100 = 0 then 1 else 0 end, 0,
                'seed-count', i + $3 * e.ord
         from (select id, path, row_number() over (order by path) as ord from equipment where path = any($1)) e
         cross join generate_series(0, $3 - 1) i`,
        [machines, new Date(shiftStart), COUNTS_PER_MACHINE, seededUntil - shiftStart],
      );
      await client.query('analyze production_count; analyze equipment_state_change');
      const { rows } = await client.query('select count(*)::int as n from production_count');
      expect(rows[0].n).toBe(MACHINES.length * COUNTS_PER_MACHINE);
    } finally {
      await client.end();
    }
  }, HUB_START_TIMEOUT_MS);

  afterAll(async () => {
    await hub?.stop();
    await database?.drop();
    await deleteNatsNamespace(namespace);
  });

  it('publishes OeeUpdated with the shift totals and stays alive and answering', async () => {
    const live = await subscribe(
      hub.url,
      'subscription { oeeUpdated(scope: "mem") { path from to shift goodQuantity producedQuantity availability performance quality oee } }',
      undefined,
      token,
    );
    for (let round = 1; round <= 3; round++) {
      const sent = Date.now();
      const { r } = await gql(
        'mutation ($s: [EquipmentSignalInput!]!) { r: publishSignals(signals: $s) { __typename ... on SignalsPublished { accepted } } }',
        {
          s: MACHINES.map((m) => ({
            kind: 'Count',
            path: `mem/site/area/line/${m}`,
            source: 'touch',
            sequence: round * 10 + MACHINES.indexOf(m),
            good: 1,
          })),
        },
      );
      expect(r).toEqual({ __typename: 'SignalsPublished', accepted: MACHINES.length });
      const produced = COUNTS_PER_MACHINE + round;
      for (const m of MACHINES) {
        const event = await live
          .waitFor(
            (e) =>
              e.data?.oeeUpdated.path === `mem/site/area/line/${m}` && e.data.oeeUpdated.producedQuantity === produced,
            60_000,
          )
          .catch((err: Error) => {
            const said = hub.output().split('\n');
            const fatal = said.filter((l) => /FATAL|out of memory/.test(l));
            throw new Error(`${err.message}\nthe hub said:\n${[...fatal, ...said.slice(-6)].join('\n')}`);
          });
        const u = event.data.oeeUpdated;
        expect(u).toMatchObject({
          shift: expect.stringMatching(/ Long$/),
          goodQuantity: produced - COUNTS_PER_MACHINE / 100,
        });
        expect(Date.parse(u.from)).toBe(shiftStart);
        // Running throughout except one 1-second JAM in every seeded 10-second cycle.
        const busy = (Date.parse(u.to) - shiftStart) / 1000;
        const running = busy - downCycles;
        expect(u.availability).toBeCloseTo(running / busy, 9);
        expect(u.performance).toBeCloseTo((IDEAL_CYCLE_SECONDS * produced) / running, 9);
        expect(u.quality).toBeCloseTo((produced - COUNTS_PER_MACHINE / 100) / produced, 9);
      }
      const memory = residentMb(hub.child.pid!);
      console.log(
        `[oee-live-memory] round ${round}: OeeUpdated for ${MACHINES.length} machines ${Date.now() - sent} ms after the signals; hub RSS ${memory.now} MB (peak ${memory.peak} MB)`,
      );
    }
    await live.close();
    expect(alive()).toBe(true);
    const { equipment } = await gql('{ equipment(path: "mem/site/area/line/m1") { path } }');
    expect(equipment).toEqual({ path: 'mem/site/area/line/m1' });
  }, 240_000);

  it('answers the oee query over the seeded shift from the same aggregation', async () => {
    const started = Date.now();
    const from = new Date(shiftStart).toISOString();
    const to = new Date(seededUntil).toISOString();
    const { oee } = await gql(`{ oee(scope: "mem", from: "${from}", to: "${to}", groupBy: Equipment) {
      group producedQuantity goodQuantity scrapQuantity plannedBusyTime actualProductionTime actualUnitDownTime
      microstopTime noDataTime unplannedStops mtbf mttr availability topDowntimeReasons { reason seconds occurrences } } }`);
    console.log(`[oee-live-memory] oee query over ${MACHINES.length} machines: ${Date.now() - started} ms`);
    const busy = (seededUntil - shiftStart) / 1000;
    expect(oee).toEqual(
      MACHINES.map((m) => ({
        group: `mem/site/area/line/${m}`,
        producedQuantity: COUNTS_PER_MACHINE,
        goodQuantity: COUNTS_PER_MACHINE - COUNTS_PER_MACHINE / 100,
        scrapQuantity: COUNTS_PER_MACHINE / 100,
        plannedBusyTime: busy,
        actualProductionTime: busy - downCycles,
        actualUnitDownTime: downCycles,
        microstopTime: 0,
        noDataTime: 0,
        unplannedStops: downCycles,
        mtbf: (busy - downCycles) / downCycles,
        mttr: 1,
        availability: expect.closeTo((busy - downCycles) / busy, 9),
        topDowntimeReasons: [{ reason: 'JAM', seconds: downCycles, occurrences: downCycles }],
      })),
    );
    const { oee: byShift } = await gql(
      `{ oee(scope: "mem", from: "${from}", to: "${to}", groupBy: Shift) { group producedQuantity unplannedStops } }`,
    );
    expect(byShift).toEqual([
      {
        group: expect.stringMatching(/ Long$/),
        producedQuantity: MACHINES.length * COUNTS_PER_MACHINE,
        unplannedStops: MACHINES.length * downCycles,
      },
    ]);
    expect(alive()).toBe(true);
    const memory = residentMb(hub.child.pid!);
    console.log(`[oee-live-memory] after the oee queries: hub RSS ${memory.now} MB (peak ${memory.peak} MB)`);
    // The heap is capped at 300 MB; the whole process stayed near its idle size (about 180 MB here).
    expect(memory.peak).toBeLessThan(350);
  }, 120_000);
});
