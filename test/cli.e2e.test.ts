import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  TEST_DATABASE_URL,
  TEST_NATS_URL,
  deleteNatsNamespace,
  graphql,
  subscribe,
  uniqueName,
} from './support/harness.js';
import { CLI, spawnHub } from './support/process.js';
import pg from 'pg';

const run = promisify(execFile);

describe('plantgraph CLI', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('migrates a PostgreSQL database once, and the hub refuses to start on an unmigrated one', async () => {
    const name = uniqueName('plantgraph_cli_');
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${name}`;
    const env = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: url.toString(),
      NATS_URL: TEST_NATS_URL,
      PLANTGRAPH_NATS_NAMESPACE: uniqueName('m'),
    };
    try {
      await expect(spawnHub(env)).rejects.toThrow(/pending migration.*Run `plantgraph migrate` first/s);
      const first = await run(process.execPath, [CLI, 'migrate'], { env });
      expect(first.stdout).toMatch(/applied: Migration\d+/);
      const second = await run(process.execPath, [CLI, 'migrate'], { env });
      expect(second.stdout).toMatch(/already up to date/);
      const hub = await spawnHub(env);
      expect((await fetch(`${hub.url}/readyz`)).status).toBe(200);
      await hub.stop();
    } finally {
      await admin.query(`drop database ${name} with (force)`);
      await admin.end();
      await deleteNatsNamespace(env.PLANTGRAPH_NATS_NAMESPACE);
    }
  });

  it('prints its commands', async () => {
    const { stdout } = await run(process.execPath, [CLI]);
    expect(stdout).toMatch(/start \[--demo\]/);
    await expect(run(process.execPath, [CLI, 'nonsense'])).rejects.toMatchObject({ code: 2 });
  });

  it('runs without the demo package unless asked for --demo, and says so when it is missing', async () => {
    const manifest = new URL('../hub/package.json', import.meta.url);
    const { dependencies } = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies: Record<string, string> };
    for (const name of ['@plantgraph/demo', 'aedes', 'mqtt']) expect(Object.keys(dependencies)).not.toContain(name);
    // An installation without the demo package (and its MQTT broker): the hub must not reach for them.
    const withoutDemo = new URL('./support/without-demo.mjs', import.meta.url).href;
    const env = { PLANTGRAPH_DATA_DIR: 'memory://', PLANTGRAPH_FLOWS: 'off', NODE_OPTIONS: `--import=${withoutDemo}` };
    const hub = await spawnHub(env);
    expect((await fetch(`${hub.url}/readyz`)).status).toBe(200);
    expect(hub.output()).not.toMatch(/\[demo\]|demo plant/);
    await hub.stop();
    // memory:// is no folder: nothing is unpacked ahead for it (ADR 0070), here or anywhere.
    expect(readdirSync('.').filter((f) => f.startsWith('memory:'))).toEqual([]);
    const missing = /The demo \(--demo, PLANTGRAPH_DEMO\) needs the package @plantgraph\/demo, which is not installed/;
    await expect(spawnHub(env, ['--demo'])).rejects.toThrow(missing);
  });

  it('runs the quick start: embedded hub with a live demo plant that survives a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plantgraph-quickstart-'));
    dirs.push(dataDir);
    const env = { PLANTGRAPH_DATA_DIR: dataDir, PLANTGRAPH_SIMULATOR_INTERVAL_MS: '500' };
    const hub = await spawnHub(env, ['--demo']);
    expect(hub.output()).toMatch(/seeded the demo plant/);
    expect(hub.output()).toMatch(/made from the demo baseline/);
    // Unpacked ahead by a worker while the modules loaded (ADR 0070), then moved into place.
    expect(readdirSync(dirname(dataDir)).filter((f) => f.startsWith(`${basename(dataDir)}.unpacking-`))).toEqual([]);
    expect(hub.output()).toMatch(/GraphQL \(HTTP and WebSocket\): +http:\/\/127\.0\.0\.1:\d+\/graphql/);
    const live = await subscribe(
      hub.url,
      'subscription { equipmentStateChanged(scope: "acme") { path state source } }',
      undefined,
      hub.token,
    );
    // The demo machines publish PLC tags over MQTT; the demo flows map them to equipment states.
    const event = await live.waitFor((e) => e.data.equipmentStateChanged.source.startsWith('node-red:'), 20_000);
    expect(event.data.equipmentStateChanged.path).toMatch(/^acme\/berlin\//);
    await live.close();
    const before = await graphql(hub.url, '{ equipmentList { totalCount } }', undefined, hub.token!);
    expect(before.equipmentList.totalCount).toBe(20);
    await hub.stop();

    const again = await spawnHub(env, ['--demo']);
    expect(again.output()).not.toMatch(/seeded/);
    const after = await graphql(again.url, '{ equipmentList { totalCount } }', undefined, again.token!);
    // The local admin key is kept in the data folder (test/local-admin-key.e2e.test.ts).
    expect(again.token).toBe(hub.token);
    expect(after.equipmentList.totalCount).toBe(20);
    await again.stop();
  });

  it('leaves nothing unpacked beside a new folder when a start fails early', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'plantgraph-failed-start-'));
    dirs.push(parent);
    const env = { PLANTGRAPH_DATA_DIR: join(parent, 'data'), PORT: 'not-a-port' };
    await expect(spawnHub(env, ['--demo'])).rejects.toThrow(/PORT must be a port number/);
    expect(readdirSync(parent)).toEqual([]);
  });
});
