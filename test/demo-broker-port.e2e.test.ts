import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '@plantgraph/demo/dist/machine-gateway.js';
import { createTestDatabase, deleteNatsNamespace, startTestHub, uniqueName } from './support/harness.js';
import { withFlows } from './support/flows.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/** A loopback port held by something else for the test's length. */
async function takenPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

/**
 * The demo's embedded MQTT broker when its port (1884) is taken, say by another demo hub: it falls
 * back to the port of the last start, which the stored demo flows already name, so a start does not
 * store and audit the flows again; only when that one is taken too does it take any free port.
 */
describe("the demo's embedded MQTT broker on a taken port", () => {
  let taken: Awaited<ReturnType<typeof takenPort>>;
  beforeAll(async () => {
    taken = await takenPort();
  });
  afterAll(() => new Promise<void>((resolve) => taken.server.close(() => resolve())));

  it('takes the first free port of those given, else any', async () => {
    const free = await takenPort();
    await new Promise<void>((resolve) => free.server.close(() => resolve()));
    const broker = await startEmbeddedBroker([taken.port, free.port]);
    try {
      expect(broker.port).toBe(free.port);
    } finally {
      await broker.close();
    }
    const other = await startEmbeddedBroker([taken.port]);
    try {
      expect(other.port).not.toBe(taken.port);
      expect(other.url).toBe(`mqtt://127.0.0.1:${other.port}`);
    } finally {
      await other.close();
    }
  });

  it(
    'keeps the stored flows of the last start instead of storing them again',
    async () => {
      const database = await createTestDatabase();
      const namespace = uniqueName('mq');
      const plant = uniqueName('demo');
      const start = () =>
        startTestHub('postgres+nats', {
          databaseUrl: database.url,
          natsNamespace: namespace,
          demo: true,
          simulatorIntervalMs: 0,
          demoMqttPort: taken.port,
          ...withFlows(plant),
        });
      try {
        const first = await start();
        const broker = await first.services.flows.current(plant);
        await first.close();
        expect(broker!.flows).not.toContain(`127.0.0.1:${taken.port}`);
        const again = await start();
        try {
          const revisions = await again.services.flows.revisions(plant, 10);
          expect(revisions.map((r) => r.id)).toEqual([broker!.id]);
        } finally {
          await again.close();
        }
      } finally {
        await database.drop();
        await deleteNatsNamespace(namespace);
      }
    },
    HUB_START_TIMEOUT_MS,
  );
});
