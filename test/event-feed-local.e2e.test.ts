import { afterAll, describe, expect, it } from 'vitest';
import {
  EventFeed,
  EventRelay,
  InProcessBus,
  migrate,
  openDatabase,
  recordEvents,
  Subjects,
  type BusMessage,
  type Database,
  type MessageBus,
} from '@plantgraph/hub';
import { MODES, sleep, uniqueName } from './support/harness.js';
import { postgresAndNats } from './support/backing.js';

const quiet = { log: () => {}, warn: () => {} };

/**
 * Events committed on a replica reach that replica's own subscribers from its relay, in process,
 * without the round trip through the bus; the copy that comes back from the bus is not delivered
 * a second time.
 */
describe.each(MODES)('local delivery of events (%s)', (mode) => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  async function backing(): Promise<{ db: Database; bus: MessageBus }> {
    if (mode === 'embedded') {
      const db = await openDatabase({ databaseUrl: '', dataDir: 'memory://', logSql: false });
      cleanup.push(() => db.close());
      await migrate(db, () => {});
      return { db, bus: new InProcessBus(new Subjects(uniqueName('f'))) };
    }
    return postgresAndNats(cleanup);
  }

  /** A feed and relay as the hub wires them; the tail check (the fallback that reads the outbox) is off. */
  async function replica(db: Database, bus: MessageBus) {
    const feed = new EventFeed(db, bus, quiet, 600_000);
    await feed.start();
    const relay = new EventRelay(db, bus, quiet, { sweepMs: 600_000, local: (m) => feed.deliverLocally(m) });
    relay.start();
    cleanup.push(async () => {
      await relay.stop();
      await feed.stop();
    });
    return { feed, relay };
  }

  const commit = async (db: Database, relay: EventRelay, subject: string, n: number) => {
    await db.em.fork().transactional((tx) =>
      recordEvents(
        tx,
        Array.from({ length: n }, (_, i) => ({ subject, type: 'Probe', data: { path: 'acme', i } })),
      ),
    );
    relay.wake();
  };

  it('reaches its own subscribers even when the bus never brings the events back', async () => {
    const { db, bus } = await backing();
    // The bus takes the publishes and delivers nothing: only the local path can reach the subscriber.
    const silent: MessageBus = {
      kind: bus.kind,
      subjects: bus.subjects,
      publish: async () => {},
      onReachability: (listener) => bus.onReachability(listener),
      subscribe: (patterns, options) => bus.subscribe(patterns, options),
      publishSignal: (subject, payload, id) => bus.publishSignal(subject, payload, id),
      publishSignals: (batch) => bus.publishSignals(batch),
      consumeSignals: (handle, options) => bus.consumeSignals(handle, options),
      checkReady: () => bus.checkReady(),
      signalBacklog: () => bus.signalBacklog(),
      close: () => bus.close(),
    };
    const { feed, relay } = await replica(db, silent);
    const subject = `${bus.subjects.namespace}.event.probe.acme`;
    const sub = feed.subscribe([subject]);
    const started = Date.now();
    await commit(db, relay, subject, 3);
    const got: BusMessage[] = [];
    for (let i = 0; i < 3; i++) got.push((await Promise.race([sub.next(), sleep(3000).then(() => null)]))!.value);
    expect(got.map((m) => (m.data as { i: number }).i)).toEqual([0, 1, 2]);
    expect(Date.now() - started).toBeLessThan(2000);
    sub.close();
  });

  it('delivers each event once though it also comes back from the bus', async () => {
    const { db, bus } = await backing();
    const { feed, relay } = await replica(db, bus);
    const subject = `${bus.subjects.namespace}.event.probe.acme`;
    let fromBus = 0;
    const busCopy = bus.subscribe([subject]);
    void (async () => {
      for await (const _ of busCopy) fromBus++;
    })();
    const sub = feed.subscribe([subject]);
    await sleep(200);
    for (let round = 0; round < 5; round++) await commit(db, relay, subject, 20);
    const seqs: number[] = [];
    for (;;) {
      const r = await Promise.race([sub.next(), sleep(1500).then(() => null)]);
      if (!r || r.done) break;
      seqs.push((r.value.data as { seq: number }).seq);
    }
    expect(fromBus).toBe(100); // the bus did bring every event back
    expect(seqs).toHaveLength(100);
    expect(new Set(seqs).size).toBe(100);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    busCopy.close();
    sub.close();
  });

  it('routes by subject to the followers of the moment, as they come and go', async () => {
    const { db, bus } = await backing();
    const { feed, relay } = await replica(db, bus);
    const subject = `${bus.subjects.namespace}.event.probe.acme`;
    const next = async (sub: ReturnType<typeof feed.subscribe>) =>
      ((await Promise.race([sub.next(), sleep(2000).then(() => null)]))?.value?.data as { i: number } | undefined)?.i;
    const first = feed.subscribe([`${bus.subjects.namespace}.event.probe.>`]);
    await commit(db, relay, subject, 1);
    expect(await next(first)).toBe(0);
    const second = feed.subscribe([subject]); // joins after the subject was routed once
    const other = feed.subscribe([`${bus.subjects.namespace}.event.probe.elsewhere`]);
    await commit(db, relay, subject, 1);
    expect([await next(first), await next(second)]).toEqual([0, 0]);
    first.close();
    await commit(db, relay, subject, 2);
    expect([await next(second), await next(second)]).toEqual([0, 1]);
    expect(await next(other)).toBeUndefined();
    second.close();
    other.close();
  });
});
