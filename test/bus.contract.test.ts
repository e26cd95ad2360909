import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { InProcessBus, NatsBus, Subjects, subjectMatches, type MessageBus, type SignalDelivery } from '@plantgraph/hub';
import { TEST_NATS_URL, deleteNatsNamespace, sleep, uniqueName } from './support/harness.js';
import { startPrivateNats } from './support/private-nats.js';

describe('subject patterns follow NATS rules', () => {
  it.each([
    ['a.b.c', 'a.b.c', true],
    ['a.*.c', 'a.x.c', true],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['a.b', 'a.b.c', false],
    ['a.b.c', 'a.b', false],
    ['>', 'a', true],
    ['*.b', 'a.b', true],
  ])('%s vs %s → %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});

/** The same contract for both implementations: the embedded bus must behave like NATS. */
describe.each([
  ['in-process', async () => new InProcessBus(new Subjects(uniqueName('c')))],
  ['nats', async () => NatsBus.connect(TEST_NATS_URL, new Subjects(uniqueName('c')))],
] as const)('%s bus', (_name, create) => {
  let bus: MessageBus;
  beforeAll(async () => {
    bus = await create();
  });
  afterAll(async () => {
    await bus.close();
    if (bus.kind === 'nats') await deleteNatsNamespace(ns());
  });
  const ns = () => bus.subjects.namespace;

  it('delivers events to matching subscriptions only, as JSON', async () => {
    const scoped = bus.subscribe([`${ns()}.event.x.acme`, `${ns()}.event.x.acme.>`]);
    const other = bus.subscribe([`${ns()}.event.x.other.>`]);
    await sleep(100);
    await bus.publish(`${ns()}.event.x.acme.line-1`, { at: new Date('2026-01-01T00:00:00Z'), n: 1 });
    await bus.publish(`${ns()}.event.x.acmex`, { n: 2 });
    await bus.publish(`${ns()}.event.x.acme`, { n: 3 });
    expect((await scoped.next()).value).toEqual({
      subject: `${ns()}.event.x.acme.line-1`,
      data: { at: '2026-01-01T00:00:00.000Z', n: 1 },
    });
    expect((await scoped.next()).value.data).toEqual({ n: 3 });
    scoped.close();
    expect((await scoped.next()).done).toBe(true);
    await bus.publish(`${ns()}.event.x.other.y`, { n: 4 });
    expect((await other.next()).value.data).toEqual({ n: 4 });
    other.close();
  });

  it('drops a signal whose message id was seen, and redelivers what is not acked', async () => {
    const subject = bus.subjects.equipmentSignal('state', 'acme/line-1');
    for (const [id, body] of [
      ['s:1', 'one'],
      ['s:1', 'one again'],
      ['s:2', 'two'],
      ['s:3', 'three'],
    ]) {
      await bus.publishSignal(subject, Buffer.from(body!), id!);
    }
    const seen: { body: string; attempt: number }[] = [];
    let failedOnce = false;
    const done = new Promise<void>((resolve) => {
      const consumer = bus.consumeSignals(
        async (batch: SignalDelivery[]) => {
          for (const d of batch) {
            const body = Buffer.from(d.payload).toString();
            seen.push({ body, attempt: d.attempt });
            if (body === 'two' && !failedOnce) {
              failedOnce = true;
              d.nak();
            } else d.ack();
          }
          if (seen.filter((s) => s.body === 'two').length === 2 && seen.some((s) => s.body === 'three')) {
            void consumer.stop().then(resolve);
          }
        },
        { batchSize: 10 },
      );
    });
    await done;
    expect(seen.map((s) => s.body).sort()).toEqual(['one', 'three', 'two', 'two']);
    expect(seen.filter((s) => s.body === 'two').map((s) => s.attempt)).toEqual([1, 2]);
  });

  it('publishes a batch at once: each signal stored once, also when the batch is sent again', async () => {
    const subject = bus.subjects.equipmentSignal('value', 'acme/line-3');
    const batch = Array.from({ length: 500 }, (_, i) => ({ subject, payload: Buffer.from(`v${i}`), id: `b:${i}` }));
    await bus.publishSignals([...batch, batch[0]!]); // a repeat inside the batch
    await bus.publishSignals(batch); // the whole batch again, as after a lost answer
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      let quietSince = Date.now();
      const consumer = bus.consumeSignals(
        async (signals) => {
          for (const d of signals) {
            seen.push(Buffer.from(d.payload).toString());
            d.ack();
          }
          quietSince = Date.now();
        },
        { batchSize: 100 },
      );
      const check = setInterval(() => {
        if (seen.length >= 500 && Date.now() - quietSince > 500) {
          clearInterval(check);
          void consumer.stop().then(resolve);
        }
      }, 100);
    });
    expect(seen).toEqual(batch.map((_, i) => `v${i}`));
  });

  it('dates each signal when the bus took it in, the same on every delivery', async () => {
    const subject = bus.subjects.equipmentSignal('count', 'acme/line-2');
    const sentFrom = Date.now();
    await bus.publishSignal(subject, Buffer.from('dated'), 'dated:1');
    const sentUntil = Date.now();
    await sleep(400); // consumed well after it was sent
    const deliveries = await new Promise<SignalDelivery[]>((resolve) => {
      const seen: SignalDelivery[] = [];
      const consumer = bus.consumeSignals(async (batch) => {
        for (const d of batch) {
          seen.push(d);
          if (seen.length === 1) d.nak();
          else {
            d.ack();
            void consumer.stop().then(() => resolve(seen));
          }
        }
      });
    });
    expect(deliveries.map((d) => d.attempt)).toEqual([1, 2]);
    for (const d of deliveries) {
      // JetStream's clock, on this machine, may differ from ours by a few milliseconds.
      expect(d.receivedAt.getTime()).toBeGreaterThanOrEqual(sentFrom - 50);
      expect(d.receivedAt.getTime()).toBeLessThanOrEqual(sentUntil + 50);
    }
    expect(deliveries[1]!.receivedAt.getTime()).toBe(deliveries[0]!.receivedAt.getTime());
  });

  it('pauses when the handler asks: hands back what it holds and fetches nothing until the pause ends', async () => {
    const subject = bus.subjects.equipmentSignal('count', 'acme/line-3');
    for (let i = 1; i <= 5; i++) await bus.publishSignal(subject, Buffer.from(`p${i}`), `p:${i}`);
    const calls: { at: number; bodies: string[]; attempts: number[] }[] = [];
    const acked = new Set<string>();
    let pausedAt = 0;
    let consumer!: ReturnType<MessageBus['consumeSignals']>;
    const done = new Promise<void>((resolve) => {
      consumer = bus.consumeSignals(
        async (batch) => {
          calls.push({
            at: Date.now(),
            bodies: batch.map((d) => Buffer.from(d.payload).toString()),
            attempts: batch.map((d) => d.attempt),
          });
          if (!pausedAt) {
            pausedAt = Date.now();
            return { pauseMs: 3000 }; // nothing settled: the store is "unreachable"
          }
          for (const d of batch) {
            d.ack();
            acked.add(Buffer.from(d.payload).toString());
          }
          if (acked.size === 5) resolve();
        },
        { batchSize: 2 },
      );
    });
    // Nothing is fetched during the pause: JetStream delivers nothing more to this consumer.
    const deliveredSoFar = async () => {
      if (bus.kind !== 'nats') return calls.length;
      const nc = await connect({ servers: TEST_NATS_URL });
      const jsm = await jetstreamManager(nc);
      const info = await jsm.consumers.info(bus.subjects.signalStream.name, bus.subjects.signalConsumer);
      await nc.close();
      return info.delivered.consumer_seq;
    };
    await sleep(300);
    const early = await deliveredSoFar();
    await sleep(2200);
    expect(await deliveredSoFar()).toBe(early);
    await done;
    await consumer.stop();
    expect(calls[0]!.bodies[0]).toBe('p1');
    expect(calls[1]!.at - pausedAt).toBeGreaterThanOrEqual(2950);
    // Handed back during the pause (a second delivery), and delivered again when it ends, not when
    // JetStream's ack wait (10 s) runs out.
    const again = calls.find((c) => c.bodies.includes('p1') && c.at > pausedAt)!;
    expect(again.attempts[again.bodies.indexOf('p1')]).toBe(2);
    expect(Math.max(...calls.map((c) => c.at)) - pausedAt).toBeLessThan(6000);
    expect([...acked].sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('reports readiness', async () => {
    await expect(bus.checkReady()).resolves.toBeUndefined();
  });
});

describe('nats bus: a batch of signals the server does not acknowledge', () => {
  it('fails as a whole, so its sender sends it again', async () => {
    const nats = await startPrivateNats({ jetstream: true });
    const bus = await NatsBus.connect(nats.url, new Subjects(uniqueName('c')));
    try {
      const subject = bus.subjects.equipmentSignal('value', 'acme/line-4');
      const batch = (from: number) =>
        Array.from({ length: 50 }, (_, i) => ({ subject, payload: Buffer.from('{}'), id: `k:${from + i}` }));
      await bus.publishSignals(batch(0));
      await nats.kill(); // no goodbye: only the missing acknowledgements tell
      const started = Date.now();
      await expect(bus.publishSignals(batch(50))).rejects.toThrow(/did not acknowledge 50 signals/);
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      await Promise.race([bus.close().catch(() => {}), sleep(2000)]);
      await nats.dispose();
    }
  }, 30_000);
});
