import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, sleep, startTestHub, type TestHub } from './support/harness.js';
import { until } from './support/queue.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const PRESS_1 = 'acme/berlin/assembly/line-1/press-1';
const HOLD_MS = 2500;

/**
 * A signal without `at` happened when the bus took it in. It used to be stamped when the ingest
 * parsed it, so a backlog drained after an outage was dated at the drain and shifted OEE.
 * Here the ingest is held back by a transaction that keeps press-1's row locked (the ingest
 * locks the equipment rows of a batch): a first signal takes the ingest into the wait, the
 * signals sent meanwhile queue behind it, and all are stored after the hold.
 */
describe.each(MODES)('signals without a time of their own (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  const rows = (sql: string, params: unknown[] = []) => hub.db.em.fork().execute<any[]>(sql, params);
  const publishCount = (source: string, sequence: number) =>
    hub.bus.publishSignal(
      hub.bus.subjects.equipmentSignal('count', PRESS_1),
      Buffer.from(JSON.stringify({ good: 1, source, sequence })),
      `${source}:${sequence}`,
    );

  it('are dated when the bus received them, not when a held-back ingest stores them', async () => {
    const source = `receive-time-${mode}`;
    let releaseHold!: () => void;
    const released = new Promise<void>((r) => (releaseHold = r));
    let holding!: () => void;
    const held = new Promise<void>((r) => (holding = r));
    const hold = hub.db.em.fork().transactional(async (tx) => {
      await tx.execute('select id from equipment where path = ? for update', [PRESS_1]);
      holding();
      await released;
    });
    await held;

    // The first signal takes the ingest into the lock wait; the rest queue behind it.
    const published: Promise<void>[] = [publishCount(source, 0)];
    await sleep(300);
    const sentFrom = Date.now();
    for (let sequence = 1; sequence <= 20; sequence++) published.push(publishCount(source, sequence));
    if (mode === 'postgres+nats') await Promise.all(published); // JetStream has stored them
    const sentUntil = Date.now();

    await sleep(HOLD_MS);
    if (mode === 'postgres+nats') {
      // Proof of the hold: nothing is stored yet (embedded, the publishes below answer only once stored).
      const [{ n }] = await rows('select count(*)::int as n from production_count where source = ?', [source]);
      expect(n).toBe(0);
    }
    const releasedAt = Date.now();
    releaseHold();
    await hold;
    await Promise.all(published);
    expect(Date.now()).toBeGreaterThanOrEqual(releasedAt);
    await until(
      async () =>
        (await rows('select count(*)::int as n from production_count where source = ?', [source]))[0].n === 21,
      'the 21 signals to be stored',
      30_000,
    );

    const stored = await rows(
      `select sequence::int as sequence, extract(epoch from at) * 1000 as at
       from production_count where source = ? and sequence > 0 order by sequence`,
      [source],
    );
    expect(stored).toHaveLength(20);
    for (const row of stored) {
      const at = Number(row.at);
      // The bus's clock (JetStream's, on this machine) may differ from ours by a few milliseconds.
      expect(at, `signal ${row.sequence}`).toBeGreaterThanOrEqual(sentFrom - 50);
      expect(at, `signal ${row.sequence}`).toBeLessThanOrEqual(sentUntil + 50);
      expect(at).toBeLessThan(releasedAt - HOLD_MS / 2);
    }
  }, 90_000);
});
