import { afterAll, describe, expect, it } from 'vitest';
import type { Readiness } from '@plantgraph/hub';
import { startTestHub, type TestHub } from './support/harness.js';
import { startPrivateNats } from './support/private-nats.js';
import type { PrivateService } from './support/private-service.js';
import { until } from './support/queue.js';

const QUICK_MS = 100;

/**
 * `/readyz` used to check each dependency per request, so during a NATS outage it took 1-2 s to
 * answer (a flush that could not come back). Now a background probe keeps the state and the
 * endpoint answers from it at once, naming each dependency and since when it is in its state.
 */
describe('readiness during a NATS outage', () => {
  let nats: PrivateService | null = null;
  let hub: TestHub | null = null;
  afterAll(async () => {
    if (nats && !nats.running) await nats.restart().catch(() => {}); // lets the hub close its connection
    await hub?.stop();
    await nats?.dispose();
  });

  const readyz = async () => {
    const started = performance.now();
    const res = await fetch(`${hub!.url}/readyz`);
    const body = (await res.json()) as Readiness;
    return { status: res.status, body, ms: performance.now() - started };
  };

  it('answers 503 naming NATS within 100 ms while it is down, and 200 once it is back', async () => {
    nats = await startPrivateNats({ jetstream: true });
    hub = await startTestHub('postgres+nats', { natsUrl: nats.url });
    const healthy = await readyz();
    expect(healthy.status).toBe(200);
    expect(healthy.body).toMatchObject({
      ready: true,
      database: { name: 'PostgreSQL', status: 'ok' },
      bus: { name: 'NATS', status: 'ok' },
    });

    const killedAt = Date.now();
    await nats.kill();
    const answers: Awaited<ReturnType<typeof readyz>>[] = [];
    await until(
      async () => {
        answers.push(await readyz());
        return answers.at(-1)!.status === 503;
      },
      'readyz to report NATS down',
      10_000,
    );
    for (let i = 0; i < 10; i++) answers.push(await readyz());
    const down = answers.at(-1)!;
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({
      ready: false,
      database: { name: 'PostgreSQL', status: 'ok' },
      bus: { name: 'NATS', status: 'unreachable', error: expect.stringMatching(/NATS/) },
    });
    expect(Date.parse(down.body.bus.since)).toBeGreaterThanOrEqual(killedAt);
    // Each answer comes from the probe's last state; a check per request took 1-2 s each. On a
    // loaded machine (two cores shared by suites) some answers wait for the CPU, so: most of them
    // within 100 ms, none anywhere near a check's time.
    const times = answers.map((a) => Math.round(a.ms));
    const quick = times.filter((ms) => ms < QUICK_MS).length;
    expect(quick / times.length, `answer times ${times}`).toBeGreaterThanOrEqual(0.75);
    expect(Math.max(...times), `answer times ${times}`).toBeLessThan(1000);

    const restartedAt = Date.now();
    await nats.restart();
    await until(async () => (await readyz()).status === 200, 'readyz to report NATS back', 20_000);
    const back = await readyz();
    expect(back.body).toMatchObject({ ready: true, bus: { name: 'NATS', status: 'ok' } });
    expect(back.body.bus.error).toBeUndefined();
    expect(Date.parse(back.body.bus.since)).toBeGreaterThanOrEqual(restartedAt);

    // And the ingest reads signals again (this one names no equipment, so it is dead-lettered).
    const statistics = hub.services.signals.statistics;
    const before = statistics.rejectedUnknownEquipment;
    const subject = hub.bus.subjects.equipmentSignal('count', 'acme/nowhere/line-9');
    await hub.bus.publishSignal(subject, Buffer.from('{"good":1,"source":"after-outage","sequence":1}'), 'after:1');
    await until(() => statistics.rejectedUnknownEquipment > before, 'the ingest to take a signal again', 20_000);
  }, 120_000);
});
