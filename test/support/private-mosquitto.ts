import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type PrivateService, ServerProcess, startedService } from './private-service.js';

/**
 * A Mosquitto of the test's own on a free port (never the shared one on 1883), to kill and restart
 * while a hub and an edge node use it. Without persistence, as a broker restart after a crash looks:
 * sessions and retained messages are gone. Call `dispose()` at the end.
 */
export async function startPrivateMosquitto(): Promise<PrivateService> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'plantgraph-mosquitto-'));
  const server = new ServerProcess({
    name: `private mosquitto on port ${port}`,
    command: 'mosquitto',
    args: ['-p', String(port)],
    options: { cwd: dir },
    readyLine: /mosquitto version \S+ running/,
    stopSignal: 'SIGTERM',
  });
  return startedService(server, `mqtt://127.0.0.1:${port}`, port, dir);
}
