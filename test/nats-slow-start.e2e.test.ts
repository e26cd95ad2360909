import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, sleep } from './support/harness.js';
import { startPrivateNats } from './support/private-nats.js';
import type { PrivateService } from './support/private-service.js';
import { type HubProcess, spawnHub } from './support/process.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/** Longer than the 1.5 s NATS once had at start, which a busy machine (load 10-15) missed. */
const SILENT_MS = 4000;

/**
 * A NATS that is slow to answer does not end the start (ADR 0057): the server is paused (SIGSTOP, so it
 * keeps its port and the connections it accepted, as an overloaded one does) while `plantgraph start`
 * checks it and connects, and resumed later; the hub then starts and is ready.
 */
describe.each(['embedded', 'PostgreSQL'] as const)('a start while NATS answers slowly (%s database)', (database) => {
  let nats: PrivateService;
  let hub: HubProcess | undefined;
  let db: { url: string; drop(): Promise<void> } | undefined;
  const folder = mkdtempSync(join(tmpdir(), 'plantgraph-slow-nats-'));
  beforeAll(async () => {
    nats = await startPrivateNats({ jetstream: true });
    if (database === 'PostgreSQL') db = await createTestDatabase();
  });
  afterAll(async () => {
    nats?.resume();
    await hub?.stop();
    await nats?.dispose();
    await db?.drop();
    rmSync(folder, { recursive: true, force: true });
  });

  it(
    `waits for a NATS that answers only after ${SILENT_MS / 1000} s, then starts and is ready`,
    async () => {
      nats.pause();
      const started = performance.now();
      const resumed = sleep(SILENT_MS).then(() => nats.resume());
      hub = await spawnHub(
        {
          NATS_URL: nats.url,
          PLANTGRAPH_FLOWS: 'off',
          ...(db ? { DATABASE_URL: db.url } : { PLANTGRAPH_DATA_DIR: join(folder, 'data') }),
        },
        [],
        { readyWithinMs: HUB_START_TIMEOUT_MS },
      );
      await resumed;
      expect(performance.now() - started).toBeGreaterThanOrEqual(SILENT_MS);
      expect(hub.output()).not.toMatch(/did not answer/);
      expect((await fetch(`${hub.url}/readyz`)).status).toBe(200);
    },
    HUB_START_TIMEOUT_MS,
  );
});
