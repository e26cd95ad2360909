import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sleep, startTestHub, type TestHub } from './support/harness.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

describe('a subscriber that stops reading', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub('embedded', {
      demo: true,
      simulatorIntervalMs: 0,
      limits: {
        maxDepth: 12,
        maxAliases: 30,
        maxTokens: 5000,
        maxCost: 100_000,
        maxDirectives: 20,
        ratePerSecond: 1000,
        rateBurst: 1000,
        maxSubscriptionsPerSocket: 50,
        maxSocketBufferBytes: 256_000,
        maxQueuedEvents: 500,
      },
    });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('is disconnected before its backlog can grow the hub', async () => {
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${hub.localAdminToken}` } }));
    await new Promise((r) => ws.once('message', r)); // connection_ack
    ws.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: {
          query: 'subscription { equipmentStateChanged(scope: "acme") { path state reason at source sequence } }',
        },
      }),
    );
    await sleep(300);
    // Stop reading: the kernel buffers fill, then the hub's send queue grows.
    (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    // A flood of stored events (as a backlog drained after an outage would be), relayed at once.
    const path = 'acme/berlin/assembly/line-1/press-1';
    const event = {
      type: 'EquipmentStateChanged',
      id: '1',
      equipmentId: 'x',
      path,
      state: 'Running',
      previousState: 'Idle',
      reason: 'R'.repeat(10_000),
      at: new Date().toISOString(),
      source: 'flood',
      sequence: '1',
      applied: true,
    };
    await hub.db.em.fork().execute(
      `insert into event_outbox (subject, type, path, data)
         select ?, 'EquipmentStateChanged', ?, ?::jsonb from generate_series(1, 5000)`,
      [hub.bus.subjects.equipmentStateChanged(path), path, JSON.stringify(event)],
    );
    hub.services.relay.wake();
    // Still not reading: the backlog stays in the outbox, the hub's queue for this subscriber fills and
    // does not drain, and the hub closes the socket (seen once the client reads again).
    await sleep(20_000); // a loaded machine sends slower: give the kernel buffers time to fill
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const result = await Promise.race([closed, sleep(20_000).then(() => null)]);
    expect(result).toEqual({ code: 4429, reason: 'Subscriber too slow: events piled up unread' });
  });
});
