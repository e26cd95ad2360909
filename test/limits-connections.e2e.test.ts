import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlRaw, MODES, sleep, startTestHub, type TestHub, testLimits } from './support/harness.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

// Short enough for a test; the defaults are 200 connections, 10 s and 30 s.
const LIMITS = testLimits({
  maxConnectionsPerAddress: 50,
  headersTimeoutMs: 1000,
  requestTimeoutMs: 2000,
});

interface Probe {
  socket: Socket;
  connectedAt: number;
  closedAt: number | null;
  received: string;
}

/** Opens `count` TCP connections to the hub from 127.0.0.1; each records when the hub closed it. */
async function open(hub: TestHub, count: number): Promise<Probe[]> {
  const probes = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Probe>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port: hub.port });
          const probe: Probe = { socket, connectedAt: 0, closedAt: null, received: '' };
          socket.on('data', (chunk) => {
            probe.received += chunk.toString();
          });
          socket.on('close', () => {
            probe.closedAt = performance.now();
          });
          socket.on('error', () => {}); // a reset is one way of being closed
          socket.once('connect', () => {
            probe.connectedAt = performance.now();
            resolve(probe);
          });
          socket.once('error', (err) => (probe.closedAt ? resolve(probe) : reject(err)));
        }),
    ),
  );
  return probes;
}

const closed = (probes: Probe[]) => probes.filter((p) => p.closedAt !== null).length;
const closeAll = (probes: Probe[]) => {
  for (const p of probes) p.socket.destroy();
};

/** Waits until `predicate` holds, at most `ms`. */
async function until(predicate: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!predicate() && performance.now() < deadline) await sleep(25);
}

describe.each(MODES)('connections: a cap per address, header and body timeouts (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { limits: LIMITS });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('admits the cap of connections from one address and closes the rest unanswered', async () => {
    const probes = await open(hub, 200);
    try {
      // Each asks for /healthz at once: the hub answers the ones it admitted, whenever it gets to
      // accept them; the ones over the cap are closed without a word.
      for (const p of probes) p.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await until(() => probes.every((p) => p.closedAt !== null || p.received.includes('\r\n\r\n')), 10_000);
      expect(probes.filter((p) => p.received.startsWith('HTTP/1.1 200')).length).toBe(50);
      expect(probes.filter((p) => p.closedAt !== null && p.received === '').length).toBe(150);
    } finally {
      closeAll(probes);
    }
    await sleep(300);
    expect((await graphqlRaw(hub.url, { query: '{ viewer { name } }' }, hub.localAdminToken!)).status).toBe(200);
  });

  it('drops connections that send nothing after the header timeout', async () => {
    const silent = await open(hub, 20);
    try {
      await until(() => closed(silent) === 20, 6000);
      expect(closed(silent)).toBe(20);
      // The hub's clock starts when it accepts the connection, at or after the client's.
      const lifetimes = silent.map((p) => p.closedAt! - p.connectedAt);
      expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(900);
      // Closed without a word by the hub's own timer, or with node's 408 when its connection check ran
      // first (both are due at the same moment; on a loaded machine either may run first): never more.
      const answers = silent.map((p) => p.received).filter((r) => r !== '');
      expect(answers.every((r) => r.startsWith('HTTP/1.1 408 '))).toBe(true);
    } finally {
      closeAll(silent);
    }
  });

  it('drops slow-header and slow-body clients after their timeouts', async () => {
    const slowHeaders = await open(hub, 20);
    const slowBodies = await open(hub, 20);
    const started = performance.now();
    for (const p of slowHeaders) p.socket.write('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // With a valid key, so that the hub reads their bodies (without one they get a 401 straight away).
    const head =
      'POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n' +
      `authorization: Bearer ${hub.localAdminToken}\r\n`;
    for (const p of slowBodies) p.socket.write(`${head}content-length: 100000\r\n\r\n{`);
    // Both keep trickling a byte every 100 ms, which keeps no idle timeout from firing.
    const trickle = setInterval(() => {
      for (const p of slowHeaders) if (!p.closedAt) p.socket.write('x');
      for (const p of slowBodies) if (!p.closedAt) p.socket.write(' ');
    }, 100);
    try {
      await until(() => closed(slowHeaders) === 20, 3500);
      expect(closed(slowHeaders)).toBe(20);
      expect(Math.max(...slowHeaders.map((p) => p.closedAt! - started))).toBeLessThan(3000);
      await until(() => closed(slowBodies) === 20, 4500);
      expect(closed(slowBodies)).toBe(20);
      // Their headers were complete, so they ran until the request timeout (2 s).
      expect(Math.min(...slowBodies.map((p) => p.closedAt! - started))).toBeGreaterThanOrEqual(1800);
      expect(Math.max(...slowBodies.map((p) => p.closedAt! - started))).toBeLessThan(4500);
      expect([...slowHeaders, ...slowBodies].every((p) => /^HTTP\/1\.1 408/.test(p.received))).toBe(true);
    } finally {
      clearInterval(trickle);
      closeAll([...slowHeaders, ...slowBodies]);
    }
  });
});
