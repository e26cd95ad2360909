import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus, NatsBus, Subjects, subjectMatches, type MessageBus, type SignalDelivery } from '@plantgraph/hub';
import { TEST_NATS_URL, deleteNatsNamespace, sleep, uniqueName } from './support/harness.js';

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

  it('reports readiness', async () => {
    await expect(bus.checkReady()).resolves.toBeUndefined();
  });
});
