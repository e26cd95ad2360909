import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestHub, uniqueName, type TestHub } from './support/harness.js';
import { startPrivateNats } from './support/private-nats.js';
import type { PrivateService } from './support/private-service.js';
import { resumingSubscriber } from './support/resuming-subscriber.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const MACHINES = ['line-1/press-1', 'line-1/press-2', 'line-1/robot-1', 'line-2/press-3'].map(
  (m) => `acme/berlin/assembly/${m}`,
);
const SIGNALS = 3000;
const TYPES = ['ProductionCounted', 'EquipmentStateChanged'];

/**
 * The fault test of ADR 0010: NATS is SIGKILLed while the hub ingests and while mutations commit; a
 * subscriber that resumes with its cursor (as the README tells clients to) ends with every committed
 * event exactly once, in sequence order.
 */
describe('events through a NATS outage (postgres+nats)', () => {
  let nats: PrivateService;
  let hub: TestHub;
  beforeAll(async () => {
    nats = await startPrivateNats({ jetstream: true });
    hub = await startTestHub('postgres+nats', {
      demo: true,
      simulatorIntervalMs: 0,
      natsUrl: nats.url,
      natsNamespace: uniqueName('o'),
    });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await nats?.dispose();
  });

  it('delivers every committed event once to a subscriber that resumed with its cursor', async () => {
    const subscriber = resumingSubscriber(hub.url, hub.localAdminToken!, 'acme', TYPES);
    await sleep(500);
    const publishes: Promise<void>[] = [];
    for (let i = 1; i <= SIGNALS; i++) {
      const path = MACHINES[i % MACHINES.length]!;
      const body = { good: 1, source: `counter-${i % MACHINES.length}`, sequence: i, at: new Date().toISOString() };
      publishes.push(
        hub.bus.publishSignal(
          hub.bus.subjects.equipmentSignal('count', path),
          Buffer.from(JSON.stringify(body)),
          `c${i}`,
        ),
      );
    }
    await Promise.all(publishes);
    // Kill the broker mid-ingest, and commit changes while it is down.
    for (let i = 0; i < 100 && hub.services.signals.statistics.stored < SIGNALS / 4; i++) await sleep(50);
    await nats.kill();
    for (let i = 0; i < 10; i++) {
      await hub.gql(
        `mutation ($p: String!, $r: String) { setEquipmentState(input: { path: $p, state: Down, reason: $r })
        { __typename } }`,
        { p: MACHINES[i % MACHINES.length], r: `OUTAGE-${i}` },
      );
    }
    await sleep(1500);
    await nats.restart();

    const committed = async () =>
      (
        await hub.db.em
          .fork()
          .execute<{ seq: string }[]>(`select seq from event_outbox where type in ('ProductionCounted',
            'EquipmentStateChanged') and seq is not null order by seq`)
      ).map((r) => Number(r.seq));
    let expected: number[] = [];
    for (let i = 0; i < 600; i++) {
      // Stored first, then counted: the other way round, batches committed in between are in `stored`
      // but not in `counted`, and the wait ends before the subscriber has them.
      const storedAll = hub.services.signals.statistics.stored >= SIGNALS;
      expected = await committed();
      if (storedAll && subscriber.events.length >= expected.length) break;
      await sleep(100);
    }
    await sleep(500);
    await subscriber.stop();
    expected = await committed();
    const got = subscriber.events.map((e) => e.seq);
    if (got.length !== expected.length) console.log(subscriber.trace.join('\n')); // what the client did, for a failure
    console.log(
      `stored ${hub.services.signals.statistics.stored}, committed ${expected.length}, received ${got.length}, ` +
        `errors ${subscriber.errors.slice(0, 5).join(' | ')} (${subscriber.errors.length})`,
    );
    expect(got.length).toBeGreaterThanOrEqual(SIGNALS + 10);
    expect(new Set(got).size).toBe(got.length); // nothing twice
    expect(got).toEqual([...got].sort((a, b) => a - b)); // in order
    expect(got).toEqual(expected); // nothing missing
    expect(subscriber.errors).toContain('EVENTS_UNAVAILABLE'); // it was told, and resumed
  }, 180_000);
});
