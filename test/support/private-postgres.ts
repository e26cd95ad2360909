import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, type PrivateService, ServerProcess, startedService } from './private-service.js';

const run = promisify(execFile);

/** PostgreSQL's programs: `PG_BINDIR`, else the folder `initdb` on the PATH really lives in. */
function binDir(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const initdb = execFileSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).trim();
  if (!initdb) throw new Error('initdb is not on the PATH; install PostgreSQL or set PG_BINDIR.');
  return dirname(realpathSync(initdb));
}

/** PostgreSQL refuses to run as root: then it runs as the system's `postgres` user. */
function runAs(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A PostgreSQL server of the test's own (initdb in a temporary folder, a free port, trust for
 * `postgres`), never the shared one, to stop and restart under a running hub. `url` is its
 * `postgres` database. `stop()` is a fast shutdown, `kill()` a SIGKILL to the server and its
 * backends. Call `dispose()` at the end; a test process that dies kills it too.
 */
export async function startPrivatePostgres(): Promise<PrivateService> {
  const bin = binDir();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'plantgraph-pg-'));
  const user = runAs();
  if ('uid' in user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
    ...user,
    timeout: 60_000,
  });
  const server = new ServerProcess({
    name: `private PostgreSQL on port ${port}`,
    command: join(bin, 'postgres'),
    args: [
      ['-D', data],
      ['-p', String(port)],
      ['-k', dir],
      ['-c', 'listen_addresses=127.0.0.1'],
      // A crash of the server alone loses nothing without fsync (the kernel keeps the writes); it saves time.
      ['-c', 'fsync=off'],
      ['-c', 'max_connections=50'],
    ].flat(),
    options: user,
    readyLine: /database system is ready to accept connections/,
    stopSignal: 'SIGINT',
  });
  return startedService(server, `postgres://postgres@127.0.0.1:${port}/postgres`, port, dir);
}
