import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type PrivateService, ServerProcess, startedService } from './private-service.js';

/**
 * A redis-server of the test's own on a free port (never the shared one), to kill and restart while
 * a hub runs. AOF with fsync on every write, as production should run it: what Redis acknowledged
 * survives a kill. Call `dispose()` at the end.
 */
export async function startPrivateRedis(): Promise<PrivateService> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'plantgraph-redis-'));
  const server = new ServerProcess({
    name: `private redis-server on port ${port}`,
    command: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'].concat([
      '--appendfsync',
      'always',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
    ]),
    readyLine: /Ready to accept connections/,
    stopSignal: 'SIGTERM',
  });
  return startedService(server, `redis://127.0.0.1:${port}`, port, dir);
}
