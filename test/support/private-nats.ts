import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type PrivateService, ServerProcess, startedService } from './private-service.js';

export interface PrivateNatsOptions {
  /** Enables JetStream, stored in a temporary folder that survives `kill()` and `restart()`. */
  jetstream?: boolean;
}

/**
 * A nats-server of the test's own on a free port (never the shared one), to kill and restart
 * while a hub runs. Call `dispose()` at the end; a test process that dies kills it too.
 */
export async function startPrivateNats(options: PrivateNatsOptions = {}): Promise<PrivateService> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'plantgraph-nats-'));
  const server = new ServerProcess({
    name: `private nats-server on port ${port}`,
    command: 'nats-server',
    args: ['-a', '127.0.0.1', '-p', String(port), ...(options.jetstream ? ['-js', '-sd', dir] : [])],
    readyLine: /Server is ready/,
    stopSignal: 'SIGTERM',
  });
  return startedService(server, `nats://127.0.0.1:${port}`, port, dir);
}
