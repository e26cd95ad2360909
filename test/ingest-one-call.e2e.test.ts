import type { DomainEvent } from '@plantgraph/hub/dist/core/event-outbox.js';
import type { ParsedSignal } from '@plantgraph/hub/dist/modules/signals/signal-parsing.js';
import { storeSignals } from '@plantgraph/hub/dist/modules/signals/signal-store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, sleep, startTestHub, type TestHub } from './support/harness.js';
import { createOeeLine, recordStatements } from './support/plant.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/**
 * The ingest stores a batch of signals with one call of its store function (ADR 0062): one
 * statement, so one round trip, whatever the mix of states, counts, values, re-delivered signals
 * and dead letters; only a batch with a signal for unknown equipment takes a second call (its dead
 * letter carries the raw payload). What the call stores and announces is what the statements did.
 */
const LINE = 'onecall/site/area/line';
const MACHINES = ['m1', 'm2', 'm3'];
const STATES = 30;
const COUNTS = 20;
const VALUES = 20;

describe.each(MODES)('the ingest stores a batch with one call (%s)', (mode) => {
  let hub: TestHub;
  const sql = async <T extends object>(text: string, params: unknown[] = []) =>
    hub.db.em.fork().execute<T[]>(text, params);
  const stats = async () =>
    (await hub.gql('{ signalIngest { stored duplicates batches rejectedUnknownEquipment } }')).signalIngest as {
      stored: number;
      duplicates: number;
      batches: number;
      rejectedUnknownEquipment: number;
    };
  const publish = (kind: 'state' | 'count' | 'value', path: string, body: Record<string, unknown>, id: string) =>
    hub.bus.publishSignal(hub.bus.subjects.equipmentSignal(kind, path), Buffer.from(JSON.stringify(body)), id);

  beforeAll(async () => {
    hub = await startTestHub(mode, { simulatorIntervalMs: 0 });
    await createOeeLine(hub.gql, 'onecall', MACHINES, 10);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('writes states, counts, values and dead letters only through the store function', async () => {
    const start = Date.now() - 3_600_000;
    const at = (i: number) => new Date(start + i * 1000).toISOString();
    const before = await stats();
    const statements = await recordStatements(hub, async () => {
      for (const m of MACHINES) {
        const path = `${LINE}/${m}`;
        for (let i = 0; i < STATES; i++) {
          const body = { state: i % 2 ? 'Idle' : 'Running', source: m, sequence: i, at: at(i * 3) };
          await publish('state', path, body, `${m}:s${i}`);
        }
        for (let i = 0; i < COUNTS; i++)
          await publish(
            'count',
            path,
            { good: 2, scrap: i % 2, source: m, sequence: 1000 + i, at: at(i * 3 + 1) },
            `${m}:c${i}`,
          );
        for (let i = 0; i < VALUES; i++) {
          const body = {
            name: 'temperature',
            value: 70 + i / 4,
            unit: 'degC',
            source: m,
            sequence: 2000 + i,
            at: at(i),
          };
          await publish('value', path, body, `${m}:v${i}`);
        }
        // A state re-delivered (a new message id, so the stream keeps it) and a late one.
        await publish('state', path, { state: 'Running', source: m, sequence: 0, at: at(0) }, `${m}:s0-again`);
        await publish(
          'state',
          path,
          { state: 'Down', reason: 'JAM', source: m, sequence: 9999, at: at(1) },
          `${m}:late`,
        );
      }
      await publish('state', `${LINE}/ghost`, { state: 'Idle', source: 'ghost', sequence: 1 }, 'ghost:1');
      const deadline = Date.now() + 60_000;
      while ((await stats()).stored - before.stored < MACHINES.length * (STATES + COUNTS + VALUES + 1)) {
        if (Date.now() > deadline) throw new Error(`stored ${JSON.stringify(await stats())}`);
        await sleep(100);
      }
      while ((await stats()).rejectedUnknownEquipment === before.rejectedUnknownEquipment) await sleep(100);
    });
    const after = await stats();
    expect(after.duplicates - before.duplicates).toBe(MACHINES.length);
    expect(after.rejectedUnknownEquipment - before.rejectedUnknownEquipment).toBe(1);

    // No statement of the hub wrote the signal tables or the outbox for the ingest by itself.
    const writes = statements.filter((s) =>
      /insert into "?(equipment_state_change|production_count|process_value)|update "?equipment"? /i.test(s),
    );
    expect(writes).toEqual([]);
    const calls = statements.filter((s) => s.includes('plantgraph_store_signals')).length;
    const batches = after.batches - before.batches;
    expect(calls).toBeGreaterThanOrEqual(batches);
    expect(calls).toBeLessThanOrEqual(batches + 1); // the batch with the unknown machine calls twice

    // Stored and announced as the statements did: every report in the history, the late one not
    // applied, each change of the current state, count and value once as an event.
    for (const m of MACHINES) {
      const [row] = await sql<{ state: string; history: number; late: boolean }>(
        `select e.state, (select count(*)::int from equipment_state_change c where c.equipment_id = e.id) as history,
                (select not applied from equipment_state_change c where c.source = ? and c.sequence = 9999) as late
           from equipment e where e.path = ?`,
        [m, `${LINE}/${m}`],
      );
      expect(row).toEqual({ state: 'Idle', history: STATES + 1, late: true });
    }
    const events = await sql<{ type: string; n: string }>(
      `select type, count(*) as n from event_outbox
        where (path like ? or data->>'subject' like ?) and type <> 'EquipmentCreated' group by type order by type`,
      [`${LINE}/%`, `%.onecall.%`],
    );
    expect(Object.fromEntries(events.map((e) => [e.type, Number(e.n)]))).toEqual({
      EquipmentStateChanged: MACHINES.length * STATES,
      ProcessValueReported: MACHINES.length * VALUES,
      ProductionCounted: MACHINES.length * COUNTS,
      SignalRejected: 1,
    });
    const [value] = await sql<{ subject: string; data: Record<string, unknown> }>(
      `select subject, data from event_outbox where type = 'ProcessValueReported' and path = ? order by seq limit 1`,
      [`${LINE}/m2`],
    );
    expect(value).toEqual({
      subject: hub.bus.subjects.processValueReported(`${LINE}/m2`),
      data: {
        type: 'ProcessValueReported',
        path: `${LINE}/m2`,
        name: 'temperature',
        value: 70,
        unit: 'degC',
        at: at(0),
      },
    });
    const [change] = await sql<{ data: Record<string, unknown> }>(
      `select data from event_outbox where type = 'EquipmentStateChanged' and path = ? order by seq limit 1`,
      [`${LINE}/m1`],
    );
    expect(change!.data).toMatchObject({
      type: 'EquipmentStateChanged',
      path: `${LINE}/m1`,
      state: 'Running',
      previousState: 'Offline',
      reason: null,
      at: at(0),
      source: 'm1',
      sequence: '0',
      applied: true,
    });
    expect(change!.data.id).toMatch(/^\d+$/);
  });
});

/**
 * The store's answer names its events and the hub builds them from the signals (ADR 0068), for its
 * own subscribers and the publish; the outbox gets them from the store functions. Both must be the
 * same events, for every kind, a dead letter before the store and one for unknown equipment.
 */
describe.each(MODES)('the events the hub builds are those in the outbox (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { simulatorIntervalMs: 0 });
    await createOeeLine(hub.gql, 'parity', ['m1', 'm2'], 10);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('builds each numbered event as the store function wrote it', async () => {
    const line = 'parity/site/area/line';
    const at = (i: number) => new Date(Date.now() - 3_600_000 + i * 1000);
    const common = (path: string, i: number) => ({ path, source: 'parity', sequence: i, at: at(i) }) as const;
    const m1 = `${line}/m1`;
    const m2 = `${line}/m2`;
    const signals = [
      { ...common(m1, 1), kind: 'state', state: 'Running', reason: null },
      { ...common(m2, 2), kind: 'state', state: 'Down', reason: 'JAM' },
      { ...common(m1, 3), kind: 'state', state: 'Running', reason: null }, // no change: no event
      { ...common(m1, 4), kind: 'count', good: 5, scrap: 1, rework: 0, cycleTimeMs: null },
      { ...common(m2, 5), kind: 'cycle', good: 1, scrap: 0, rework: 0, cycleTimeMs: 5200.5 },
      { ...common(m1, 4), kind: 'count', good: 5, scrap: 1, rework: 0, cycleTimeMs: null }, // a duplicate
      { ...common(m2, 6), kind: 'value', name: 'temperature', value: 71.25, unit: 'degC' },
      { ...common(m2, 7), kind: 'value', name: 'ratio', value: 0.1, unit: null },
      { ...common(`${line}/ghost`, 8), kind: 'state', state: 'Idle', reason: null },
      { ...common(m1, 0), kind: 'state', state: 'Idle', reason: 'late' }, // older than m1's newest report
    ] as unknown as ParsedSignal[];
    const letter = (reason: string, data: Record<string, unknown>): DomainEvent => ({
      subject: hub.bus.subjects.signalRejected,
      type: 'SignalRejected',
      data: { reason, ...data },
    });
    const batch = await storeSignals(hub.db.em.fork(), hub.bus.subjects, signals, {
      leading: [letter('the payload is not JSON', { at: new Date(0), skipped: undefined })],
      unknown: (s) => letter('no equipment', { path: s.path, sequence: s.sequence }),
    });
    expect(batch.stored).toBe(8); // the history keeps the repeat and the late report
    expect(batch.duplicates).toBe(1);
    expect(batch.numbered.map((e) => e.data.type)).toEqual([
      'EquipmentStateChanged',
      'EquipmentStateChanged',
      'ProductionCounted',
      'ProductionCounted',
      'ProcessValueReported',
      'ProcessValueReported',
      'SignalRejected',
      'SignalRejected',
    ]);
    const rows = await hub.db.em
      .fork()
      .execute<{ seq: string; event_id: string; subject: string; data: object }[]>(
        'select seq, event_id, subject, data from event_outbox where seq >= ? order by seq',
        [batch.numbered[0]!.seq],
      );
    const stored = rows.map((r) => ({ seq: Number(r.seq), eventId: r.event_id, subject: r.subject, data: r.data }));
    expect(batch.numbered).toStrictEqual(stored);
  });
});
