import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, spawnHub, type HubProcess } from './support/process.js';

/**
 * The embedded database (PGlite) is one PostgreSQL inside one process. Two processes on one data
 * folder used to both start, both lead the flows and leave a folder that no longer opened.
 */
const run = promisify(execFile);
const LOCK_MODULE = new URL('../hub/dist/infrastructure/database/folder-lock.js', import.meta.url).href;

describe('the embedded data folder', () => {
  const dirs: string[] = [];
  const hubs: HubProcess[] = [];
  afterAll(async () => {
    await Promise.all(hubs.map((h) => h.kill()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const newFolder = () => {
    const parent = mkdtempSync(join(tmpdir(), 'plantgraph-folder-'));
    dirs.push(parent);
    const dataDir = join(parent, 'data');
    const env = {
      PATH: process.env.PATH ?? '',
      PLANTGRAPH_DATA_DIR: dataDir,
      PLANTGRAPH_FLOWS: 'off',
      PLANTGRAPH_SIMULATOR_INTERVAL_MS: '0',
    };
    return { dataDir, env, lockFile: `${dataDir}.lock` };
  };
  const cli = (env: Record<string, string>, ...args: string[]) =>
    run(process.execPath, [CLI, ...args], { env }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e) => ({ code: e.code as number, out: `${e.stdout}${e.stderr}` }),
    );
  const start = async (env: Record<string, string>, args: string[] = []) => {
    const hub = await spawnHub(env, args, { readyWithinMs: 120_000 }); // two cores shared with other suites
    hubs.push(hub);
    return hub;
  };

  it('refuses a second hub and every command on a folder in use, at once, and the folder still opens', async () => {
    const { dataDir, env, lockFile } = newFolder();
    expect((await cli(env, 'migrate')).out).toMatch(/applied: Migration/); // creates the folder outside the start timeout
    const first = await start(env);
    const pid = first.child.pid!;
    const inUse = new RegExp(
      `embedded database in ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by process ${pid}`,
    );

    // Refused at once: it does not wait for the folder, and the first hub serves on.
    const second = await spawnHub(env, [], { readyWithinMs: 120_000 }).then(
      async (h) => {
        await h.stop();
        return `started at ${h.url}`;
      },
      (err: Error) => err.message,
    );
    expect(second).toMatch(inUse);
    const refusals = await Promise.all([
      cli(env, 'migrate'),
      cli(env, 'backup', join(dataDir, '..', 'b.tar.gz')),
      cli(env, 'restore', join(dataDir, '..', 'b.tar.gz')),
      cli(env, 'api-key', 'create', '--name', 'x', '--grant', 'admin@acme'),
      cli(env, 'flows', 'export', 'main', '--file', join(dataDir, '..', 'f.json')),
    ]);
    for (const r of refusals) {
      expect(r.code).toBe(1);
      expect(r.out).toMatch(inUse);
    }
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid, host: hostname() });
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);

    await first.stop(); // SIGTERM: the hub closes the database and releases the folder
    expect(existsSync(lockFile)).toBe(false);
    expect((await cli(env, 'migrate')).out).toMatch(/already up to date/);
    expect(existsSync(lockFile)).toBe(false);
  }, 400_000);

  it('lets exactly one of several racing processes take a folder, also when they take over a stale lock', async () => {
    const { dataDir, lockFile } = newFolder();
    const race = async () => {
      const script = `import { lockFolder } from ${JSON.stringify(LOCK_MODULE)};
        try { const lock = lockFolder(${JSON.stringify(dataDir)}, 'race'); console.log('took'); setTimeout(() => lock.release(), 2500); }
        catch (err) { console.log(err.name === 'FolderLockedError' ? 'refused' : 'failed: ' + err.message); }`;
      const outcomes = await Promise.all(
        Array.from(
          { length: 6 },
          () =>
            new Promise<string>((resolve) => {
              const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
                stdio: ['ignore', 'pipe', 'pipe'],
              });
              let out = '';
              child.stdout.on('data', (c: Buffer) => (out += c));
              child.stderr.on('data', (c: Buffer) => (out += c));
              child.once('exit', () => resolve(out.trim()));
            }),
        ),
      );
      return outcomes.sort();
    };
    expect(await race()).toEqual(['refused', 'refused', 'refused', 'refused', 'refused', 'took']);
    expect(existsSync(lockFile)).toBe(false);

    // A lock left by a process that is gone (the pid of a finished child) is stale.
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.once('exit', r));
    const stale = {
      pid: gone.pid,
      host: hostname(),
      command: 'plantgraph start',
      startedAt: new Date().toISOString(),
      token: 'dead',
    };
    writeFileSync(lockFile, JSON.stringify(stale));
    expect(await race()).toEqual(['refused', 'refused', 'refused', 'refused', 'refused', 'took']);
    expect(existsSync(lockFile)).toBe(false);
  }, 120_000);

  it('tells a live holder from a stale one', async () => {
    const { lockFolder, FolderLockedError } = await import('@plantgraph/hub');
    const { dataDir, lockFile } = newFolder();
    const write = (holder: object) =>
      writeFileSync(
        lockFile,
        JSON.stringify({ command: 'plantgraph start', startedAt: '2026-12-01T00:00:00Z', token: 'other', ...holder }),
      );

    const lock = lockFolder(dataDir, 'test');
    expect(() => lockFolder(dataDir, 'test')).toThrow(FolderLockedError); // one opening per process, too
    lock.release();
    expect(existsSync(lockFile)).toBe(false);

    write({ pid: process.ppid, host: hostname() }); // a live process
    expect(() => lockFolder(dataDir, 'test')).toThrow(new RegExp(`in use by process ${process.ppid}`));
    write({ pid: 4242, host: 'another-host' }); // cannot be checked from here: never taken over
    expect(() => lockFolder(dataDir, 'test')).toThrow(/process 4242 on host "another-host".*delete .*data\.lock/s);
    write({ pid: process.ppid, host: hostname(), processStart: '1' }); // the pid now belongs to another process
    lockFolder(dataDir, 'test').release();
    write({ pid: process.pid, host: hostname() }); // our own pid, not our lock: a restarted container
    lockFolder(dataDir, 'test').release();
    writeFileSync(lockFile, '{"half'); // unreadable and old: taken over
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockFile, old, old);
    lockFolder(dataDir, 'test').release();
    expect(existsSync(lockFile)).toBe(false);
  });
});
