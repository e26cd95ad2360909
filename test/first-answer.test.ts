import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstAnswerOrTimeout } from '@plantgraph/hub/dist/readiness.js';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The hub's background start (BullMQ, ADR 0069) waits for the API's first answer, or a while after
 * listening when no request comes: it must not start before the first response has gone out.
 */
describe('firstAnswerOrTimeout', () => {
  let server: Server;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });
  const listen = async (answer: (end: () => void) => void) => {
    server = createServer((_req, res) => answer(() => res.end('ok')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
  };

  it('settles once the first response has gone out, not when the request arrives', async () => {
    let end: () => void = () => {};
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const url = await listen((e) => {
      end = e;
      arrived();
    });
    let settled = false;
    const answered = firstAnswerOrTimeout(server, 10_000).then(() => {
      settled = true;
    });
    const response = fetch(url);
    await arrival;
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false); // the request is in, its answer is not
    end();
    await answered;
    expect((await response).status).toBe(200);
  });

  it('settles after the timeout when no request comes', async () => {
    await listen((end) => end());
    const started = Date.now();
    await firstAnswerOrTimeout(server, 200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(server.listenerCount('request')).toBe(1); // its own listener is gone
  });
});
