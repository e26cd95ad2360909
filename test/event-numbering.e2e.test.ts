import { afterAll, describe, expect, it } from 'vitest';
import {
  collectEvents,
  EventRelay,
  InProcessBus,
  migrate,
  openDatabase,
  recordEvents,
  Subjects,
  type Database,
  type MessageBus,
} from '@plantgraph/hub';
import { MODES, sleep, uniqueName } from './support/harness.js';
import { postgresAndNats } from './support/backing.js';

const quiet = { log: () => {}, warn: () => {} };

/**
 * Events are numbered in the transaction that writes them (the relay no longer writes each outbox
 * row a second time): dense, in commit order, no number lost to a rollback, and each published by
 * exactly one relay however many replicas run one.
 */
describe.each(MODES)('events numbered where they are written (%s)', (mode) => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  async function backing(): Promise<{ db: Database; bus: MessageBus }> {
    if (mode === 'embedded') {
      const db = await openDatabase({ databaseUrl: '', dataDir: 'memory://', logSql: false });
      cleanup.push(() => db.close());
      await migrate(db, () => {});
      return { db, bus: new InProcessBus(new Subjects(uniqueName('n'))) };
    }
    return postgresAndNats(cleanup);
  }

  const probes = (tag: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ subject: 'probe', type: 'Probe', data: { tag, i } }));
  const write = (db: Database, tag: string, n: number) =>
    db.em.fork().transactional((tx) => recordEvents(tx, probes(tag, n)));
  const numbered = async (db: Database) =>
    (
      await db.em
        .fork()
        .execute<{ seq: string | null; tag: string; i: number }[]>(
          `select seq, data->>'tag' as tag, (data->>'i')::int as i from event_outbox order by id`,
        )
    ).map((r) => ({ seq: r.seq === null ? null : Number(r.seq), at: `${r.tag}${r.i}` }));

  it('numbers them at the commit, densely and in order, and a rollback leaves no gap', async () => {
    const { db } = await backing(); // no relay runs: only the writers number
    await write(db, 'a', 3);
    await db.em
      .fork()
      .transactional(async (tx) => {
        await recordEvents(tx, probes('rolled-back', 2));
        throw new Error('refused');
      })
      .catch(() => {});
    await write(db, 'b', 2);
    expect(await numbered(db)).toEqual([
      { seq: 1, at: 'a0' },
      { seq: 2, at: 'a1' },
      { seq: 3, at: 'a2' },
      { seq: 4, at: 'b0' },
      { seq: 5, at: 'b1' },
    ]);
  });

  it('publishes each event once with two relays on the same outbox, in order', async () => {
    const { db, bus } = await backing();
    const published: number[] = [];
    const counting: MessageBus = Object.create(bus, {
      publish: {
        value: async (subject: string, data: Record<string, unknown>, id?: string) => {
          published.push(data.seq as number);
          return bus.publish(subject, data, id);
        },
      },
    });
    const relays = [0, 1].map(() => new EventRelay(db, counting, quiet, { sweepMs: 50 }));
    for (const r of relays) r.start();
    cleanup.push(() => Promise.all(relays.map((r) => r.stop())));
    for (let round = 0; round < 20; round++) {
      // Two writers at once on PostgreSQL; embedded, PGlite's one connection takes them in turn.
      if (mode === 'postgres+nats') await Promise.all([write(db, `x${round}-`, 7), write(db, `y${round}-`, 5)]);
      else for (const [tag, n] of [[`x${round}-`, 7] as const, [`y${round}-`, 5] as const]) await write(db, tag, n);
      relays[round % 2]!.wake();
    }
    for (let i = 0; i < 50 && published.length < 240; i++) await sleep(100);
    await sleep(300);
    expect(published).toHaveLength(240);
    expect([...published].sort((a, b) => a - b)).toEqual(Array.from({ length: 240 }, (_, i) => i + 1));
  });

  it('publishes the events handed to a relay as they are, reads the others, each once', async () => {
    const { db, bus } = await backing();
    const published: { seq: number; at: string }[] = [];
    const counting: MessageBus = Object.create(bus, {
      publish: {
        value: async (subject: string, data: Record<string, unknown>, id?: string) => {
          published.push({ seq: data.seq as number, at: `${data.tag}${data.i}` });
          return bus.publish(subject, data, id);
        },
      },
    });
    const relays = [0, 1].map(() => new EventRelay(db, counting, quiet, { sweepMs: 50 }));
    for (const r of relays) r.start();
    cleanup.push(() => Promise.all(relays.map((r) => r.stop())));
    // Like the ingest: the events a committed transaction numbered go to one relay; the other
    // writer's (a service's) are not handed over and are read from the outbox.
    const handed = (tag: string, n: number) =>
      db.em.fork().transactional(async (tx) => {
        const events = collectEvents(tx);
        await recordEvents(tx, probes(tag, n));
        return events;
      });
    for (let round = 0; round < 20; round++) {
      const events = await handed(`h${round}-`, 6);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 6 }, (_, i) => round * 10 + i + 1));
      await write(db, `w${round}-`, 4);
      relays[round % 2]!.wake(events);
    }
    for (let i = 0; i < 50 && published.length < 200; i++) await sleep(100);
    await sleep(300);
    const stored = await numbered(db);
    expect([...published].sort((a, b) => a.seq - b.seq)).toEqual(stored);
  });
});

describe('events numbered where they are written, concurrent writers (postgres)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  it('makes a second writer wait for the first one’s commit, so no reader sees a later number first', async () => {
    const { db, bus } = await postgresAndNats(cleanup);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let firstWrote!: () => void;
    const wrote = new Promise<void>((r) => (firstWrote = r));
    const first = db.em.fork().transactional(async (tx) => {
      await recordEvents(tx, [{ subject: 'probe', type: 'Probe', data: { w: 'first' } }]);
      firstWrote();
      await gate; // still uncommitted
    });
    await wrote;
    let secondDone = false;
    const second = db.em
      .fork()
      .transactional((tx) => recordEvents(tx, [{ subject: 'probe', type: 'Probe', data: { w: 'second' } }]))
      .then(() => (secondDone = true));
    const published: string[] = [];
    const relay = new EventRelay(
      db,
      Object.create(bus, {
        publish: {
          value: async (_s: string, data: Record<string, unknown>) => {
            published.push(`${data.w}:${data.seq}`);
          },
        },
      }),
      quiet,
      { sweepMs: 20 },
    );
    relay.start();
    cleanup.push(() => relay.stop());
    await sleep(500);
    expect(secondDone).toBe(false); // waits for the head, held by the first until its commit
    expect(published).toEqual([]); // nothing committed: nothing to claim
    release();
    await Promise.all([first, second]);
    for (let i = 0; i < 30 && published.length < 2; i++) await sleep(100);
    expect(published).toEqual(['first:1', 'second:2']);
  });
});
