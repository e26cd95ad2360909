import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Subjects } from '@plantgraph/hub';
import { TEST_NATS_URL, deleteNatsNamespace, graphql, sleep, uniqueName } from './support/harness.js';
import { CLI, spawnHub, type HubProcess } from './support/process.js';
import { startPrivatePostgres } from './support/private-postgres.js';
import type { PrivateService } from './support/private-service.js';
import { until } from './support/queue.js';

const run = promisify(execFile);
const PATHS = [
  'acme/berlin/assembly/line-1/press-1',
  'acme/berlin/assembly/line-1/press-2',
  'acme/berlin/packaging/line-3/labeler-1',
];
const TOTAL = 5000;
const PER_TICK = 100;

/**
 * The hub's own PostgreSQL stopped for a few seconds while 5,000 signals arrive on NATS. The
 * ingest used to log a "batch failed" line per attempt (1,274 in 12 s) and count every
 * redelivery as received (110,309 for 20,000 signals). Now it pauses with growing pauses, says
 * so once and once again when it resumes, and counts each signal once; every signal is stored
 * once, dated when JetStream received it (not when the backlog drained).
 */
describe('signal ingest across a PostgreSQL outage', () => {
  let postgres: PrivateService | null = null;
  let hub: HubProcess | null = null;
  const namespace = uniqueName('o');
  afterAll(async () => {
    await hub?.kill();
    await postgres?.dispose();
    await deleteNatsNamespace(namespace);
  });

  it('stores every signal once, counts it once and logs the outage in a few lines', async () => {
    postgres = await startPrivatePostgres();
    const env = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: postgres.url,
      NATS_URL: TEST_NATS_URL,
      PLANTGRAPH_NATS_NAMESPACE: namespace,
      PLANTGRAPH_FLOWS: 'off',
      PLANTGRAPH_SIMULATOR_INTERVAL_MS: '0',
      PLANTGRAPH_DEMO_MQTT_PORT: '0',
    };
    await run(process.execPath, [CLI, 'migrate'], { env });
    hub = await spawnHub(env, ['--demo'], { readyWithinMs: 120_000 });
    const token = hub.token!;
    const outputBefore = hub.output().length;

    const nc = await connect({ servers: TEST_NATS_URL });
    const js = jetstream(nc);
    const subjects = new Subjects(namespace);
    const source = `outage-${Date.now()}`;
    /** Per signal: the time span in which JetStream confirmed it. */
    const sent: { from: number; until: number }[] = [];
    const publishing = (async () => {
      for (let from = 0; from < TOTAL; from += PER_TICK) {
        const started = Date.now();
        await Promise.all(
          Array.from({ length: PER_TICK }, (_, i) => {
            const sequence = from + i;
            const path = PATHS[sequence % PATHS.length]!;
            const body = JSON.stringify({ good: 1, source, sequence });
            return js.publish(subjects.equipmentSignal('count', path), body, { msgID: `${source}:${sequence}` });
          }),
        );
        const confirmed = Date.now();
        for (let i = 0; i < PER_TICK; i++) sent.push({ from: started, until: confirmed });
        await sleep(100);
      }
    })();

    await sleep(1000);
    await postgres.stop();
    const stoppedAt = Date.now();
    await sleep(4000);
    await postgres.restart();
    const restartedAt = Date.now();
    await publishing;
    await nc.close();

    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    try {
      const stored = async () =>
        (await db.query('select count(*)::int as n from production_count where source = $1', [source])).rows[0].n;
      await until(async () => (await stored()) === TOTAL, `all ${TOTAL} signals to be stored`, 90_000).catch(
        async (err: Error) => {
          throw new Error(`${err.message} Stored: ${await stored()}. The hub said:\n${hub!.output().slice(-4000)}`);
        },
      );
      const statistics = async () =>
        (await graphql(hub!.url, '{ signalIngest { received stored duplicates failedBatches } }', undefined, token))
          .signalIngest;
      await until(async () => (await statistics()).received >= TOTAL, 'the ingest to count them', 10_000);
      await sleep(2000); // anything counted twice would show by now
      const counted = await statistics();
      expect(counted.received, JSON.stringify(counted)).toBe(TOTAL);
      expect(counted.stored + counted.duplicates).toBe(TOTAL);
      expect(counted.failedBatches).toBeGreaterThan(0); // the outage did hit the ingest
      expect(counted.failedBatches).toBeLessThan(30); // a few attempts with growing pauses, not hundreds

      const { rows } = await db.query(
        `select sequence::int as sequence, extract(epoch from at) * 1000 as at
         from production_count where source = $1 order by sequence`,
        [source],
      );
      expect(new Set(rows.map((r) => r.sequence)).size).toBe(TOTAL);
      const misdated = rows.filter((r) => {
        const at = Number(r.at);
        return at < sent[r.sequence]!.from - 50 || at > sent[r.sequence]!.until + 50;
      });
      expect(misdated.slice(0, 5)).toEqual([]);
      // Some signals arrived while the database was down and were stored only after it came back.
      expect(sent.filter((s) => s.from > stoppedAt && s.until < restartedAt).length).toBeGreaterThan(1000);
    } finally {
      await db.end();
    }

    const lines = hub
      .output()
      .slice(outputBefore)
      .split('\n')
      .filter((l) => l.trim());
    const ingestLines = lines.filter((l) => l.includes('[ingest]'));
    expect(ingestLines.some((l) => /ingest paused/.test(l))).toBe(true);
    expect(ingestLines.some((l) => /ingest resumed after \d+\.\d s/.test(l))).toBe(true);
    expect(ingestLines.length, ingestLines.join('\n')).toBeLessThanOrEqual(4);
    // The rest of the hub may say a line or two each as well: alert escalation and the equipment
    // condition check (once per failure), OEE updates, the job queue's workers and queues, the
    // connectors' lease and relay. A few lines per part, not one per retry.
    expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(20);
  }, 240_000);
});
