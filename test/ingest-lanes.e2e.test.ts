import { afterAll, describe, expect, it } from 'vitest';
import {
  isEmbedded,
  NatsBus,
  openDatabase,
  startSignalIngest,
  newIngestStatistics,
  SignalLanes,
  Subjects,
  type SignalDelivery,
} from '@plantgraph/hub';
import { deleteNatsNamespace, sleep, TEST_NATS_URL, uniqueName } from './support/harness.js';
import { postgresAndNats } from './support/backing.js';

const body = (d: SignalDelivery) => JSON.parse(Buffer.from(d.payload).toString()) as { sequence: number };

/**
 * The ingest stores two batches at once on PostgreSQL (two lanes, partitioned by equipment) and a
 * lane's batch is ready when full or when its oldest signal has waited long enough.
 */
describe('signal lanes', () => {
  it('keep each equipment in one lane and spread equipment over the lanes', () => {
    const lanes = new SignalLanes<number>(2, 10, 5);
    const paths = Array.from({ length: 100 }, (_, i) => `acme/site/area/line/m${i}`);
    const counts = [0, 0];
    for (const p of paths) {
      expect(lanes.laneOf(p)).toBe(lanes.laneOf(p));
      counts[lanes.laneOf(p)]!++;
    }
    expect(Math.min(...counts)).toBeGreaterThan(30);
  });

  /** Paths spread over four lanes, `perLane` of each lane's, in lane order. */
  const spread = (lanes: SignalLanes<string>, perLane: number) => {
    const byLane: string[][] = [[], [], [], []];
    for (let i = 0; byLane.some((l) => l.length < perLane); i++) {
      const path = `acme/site/area/line/m${i}`;
      const l = byLane[lanes.laneOf(path)]!;
      if (l.length < perLane) l.push(path);
    }
    return byLane;
  };

  it('has a batch that is not full take what waits in the lanes that are not storing, until released', async () => {
    const lanes = new SignalLanes<string>(4, 10, 5);
    const byLane = spread(lanes, 2);
    for (const l of byLane) for (const p of l) lanes.push(p, p);
    const first = await lanes.next(2);
    expect(first.lanes).toEqual([2, 3, 0, 1]);
    expect(first.items).toEqual([...byLane[2]!, ...byLane[3]!, ...byLane[0]!, ...byLane[1]!]);
    // Held by the batch: lane 0's new signal waits until the batch is released, then comes alone.
    lanes.push(byLane[0]![0]!, 'later');
    let second: string[] | null = null;
    void lanes.next(0).then((b) => (second = b.items));
    await sleep(30);
    expect(second).toBeNull();
    lanes.release(first, [byLane[0]![1]!]); // one signal was not stored: it goes first, in its lane
    await sleep(30);
    expect(second).toEqual([byLane[0]![1]!, 'later']);
  });

  it('lets a full lane take only its own signals while other lanes store theirs', async () => {
    const lanes = new SignalLanes<string>(4, 3, 1000);
    const byLane = spread(lanes, 3);
    for (const l of byLane) for (const p of l) lanes.push(p, p);
    const a = await lanes.next(0);
    const b = await lanes.next(1);
    expect([a.lanes, b.lanes]).toEqual([[0], [1]]);
    expect([a.items, b.items]).toEqual([byLane[0], byLane[1]]);
  });
});

describe('NATS signal consumer with two lanes', () => {
  const namespaces: string[] = [];
  const buses: NatsBus[] = [];
  afterAll(async () => {
    for (const b of buses) await b.close();
    for (const n of namespaces) await deleteNatsNamespace(n);
  });
  const connect = async () => {
    const namespace = uniqueName('l');
    namespaces.push(namespace);
    const bus = await NatsBus.connect(TEST_NATS_URL, new Subjects(namespace));
    buses.push(bus);
    return bus;
  };

  it('stores two batches at once, never the same equipment in both, each equipment in order', async () => {
    const bus = await connect();
    const machines = Array.from({ length: 20 }, (_, i) => `acme/site/area/line/m${i}`);
    const total = 2000;
    await Promise.all(
      Array.from({ length: total }, (_, i) =>
        bus.publishSignal(
          bus.subjects.equipmentSignal('state', machines[i % machines.length]!),
          Buffer.from(JSON.stringify({ sequence: i })),
          `o:${i}`,
        ),
      ),
    );
    const seen = new Map<string, number[]>();
    const inFlight = new Set<Set<string>>();
    let mostInFlight = 0;
    let sharedEquipment = 0;
    let received = 0;
    await new Promise<void>((resolve) => {
      const consumer = bus.consumeSignals(
        async (batch) => {
          const paths = new Set(batch.map((d) => bus.subjects.parseSignalSubject(d.subject)!.path));
          for (const other of inFlight) for (const p of paths) if (other.has(p)) sharedEquipment++;
          inFlight.add(paths);
          mostInFlight = Math.max(mostInFlight, inFlight.size);
          await sleep(5 + Math.random() * 20); // a store of varying speed
          for (const d of batch) {
            const path = bus.subjects.parseSignalSubject(d.subject)!.path;
            seen.set(path, [...(seen.get(path) ?? []), body(d).sequence]);
            d.ack();
          }
          inFlight.delete(paths);
          received += batch.length;
          if (received >= total) void consumer.stop().then(resolve);
        },
        { lanes: 2, batchSize: 50 },
      );
    });
    expect(mostInFlight).toBe(2);
    expect(sharedEquipment).toBe(0);
    for (const [, sequences] of seen) expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect([...seen.values()].flat().length).toBe(total);
  });

  it('stores a batch that is not full once its oldest signal has waited the delay, a full one at once', async () => {
    const bus = await connect();
    const subject = bus.subjects.equipmentSignal('count', 'acme/site/area/line/m1');
    const batches: { size: number; at: number }[] = [];
    const consumer = bus.consumeSignals(
      async (batch) => {
        batches.push({ size: batch.length, at: Date.now() });
        for (const d of batch) d.ack();
      },
      { lanes: 2, batchSize: 5, maxBatchDelayMs: 400 },
    );
    try {
      await sleep(300); // the first pull is open
      const sentAt = Date.now();
      for (let i = 0; i < 3; i++) await bus.publishSignal(subject, Buffer.from(`{"sequence":${i}}`), `t:${i}`);
      for (let i = 0; i < 100 && !batches.length; i++) await sleep(20);
      expect(batches.map((b) => b.size)).toEqual([3]);
      expect(batches[0]!.at - sentAt).toBeGreaterThanOrEqual(350);
      expect(batches[0]!.at - sentAt).toBeLessThan(1500);

      const fullFrom = Date.now();
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          bus.publishSignal(subject, Buffer.from(`{"sequence":${10 + i}}`), `t:${10 + i}`),
        ),
      );
      for (let i = 0; i < 100 && batches.length < 2; i++) await sleep(10);
      expect(batches[1]!.size).toBe(5);
      expect(batches[1]!.at - fullFrom).toBeLessThan(350);
    } finally {
      await consumer.stop();
    }
  });
});

describe('ingest on PostgreSQL with two lanes', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('runs its lanes on PostgreSQL and one embedded (PostgreSQL is not taken for PGlite)', async () => {
    const { db } = await postgresAndNats(cleanup);
    expect(isEmbedded(db)).toBe(false);
    const embedded = await openDatabase({ databaseUrl: '', dataDir: 'memory://', logSql: false });
    cleanup.push(() => embedded.close());
    expect(isEmbedded(embedded)).toBe(true);
  });

  it('stores every signal once, repeats included, and applies each equipment’s states in order', async () => {
    const { db, bus } = await postgresAndNats(cleanup);
    const machines = 30;
    const em = db.em.fork();
    const [enterprise] = await em.execute<{ id: string }[]>(
      `insert into equipment (id, path, code, name, level, properties, state, state_since, created_at, updated_at)
       values (gen_random_uuid(), 'lanes', 'lanes', 'lanes', 'Enterprise', '{}', 'Idle', now() - interval '1 hour', now(), now())
       returning id`,
    );
    await em.execute(
      `insert into equipment (id, path, code, name, level, parent_id, properties, state, state_since, created_at, updated_at)
       select gen_random_uuid(), 'lanes/m' || i, 'm' || i, 'm' || i, 'WorkCell', ?, '{}', 'Idle',
              now() - interval '1 hour', now(), now() from generate_series(0, ?) i`,
      [enterprise!.id, machines - 1],
    );
    const stats = newIngestStatistics();
    const relay = { wake: () => {} };
    const ingest = startSignalIngest(db, bus, relay, stats, console, () => {}, {
      lanes: 2,
      batchSize: 64,
      maxBatchDelayMs: 2,
    });
    cleanup.push(() => ingest.stop());
    const total = 3000;
    const started = Date.now() - 60_000;
    const publish = (i: number, id: string) =>
      bus.publishSignal(
        bus.subjects.equipmentSignal('state', `lanes/m${i % machines}`),
        Buffer.from(
          JSON.stringify({
            state: Math.floor(i / machines) % 2 ? 'Idle' : 'Running',
            source: 'lanes',
            sequence: i,
            at: new Date(started + i).toISOString(),
          }),
        ),
        id,
      );
    await Promise.all(Array.from({ length: total }, (_, i) => publish(i, `a:${i}`)));
    // The same signals again under other message ids: JetStream keeps them, the store must not.
    await Promise.all(Array.from({ length: 300 }, (_, i) => publish(i * 7, `b:${i}`)));
    for (let i = 0; i < 600 && stats.received < total + 300; i++) await sleep(100);
    const [row] = await db.em.fork().execute<{ n: number; d: number; late: number }[]>(
      `select count(*)::int as n, count(distinct (source, sequence))::int as d,
              count(*) filter (where not applied)::int as late from equipment_state_change`,
    );
    expect(stats.received).toBe(total + 300);
    expect(row).toEqual({ n: total, d: total, late: 0 });
    expect(stats.duplicates).toBe(300);
    // Each machine's history chains: every change's previous state is the state before it.
    const broken = await db.em.fork().execute<{ n: number }[]>(
      `select count(*)::int as n from (
         select previous_state, lag(state) over (partition by equipment_id order by sequence) as before
           from equipment_state_change) h
        where before is not null and previous_state is distinct from before`,
    );
    expect(broken[0]!.n).toBe(0);
  });
});
