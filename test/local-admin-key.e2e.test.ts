import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  deleteNatsNamespace,
  graphqlRaw,
  MODES,
  TEST_NATS_URL,
  uniqueName,
} from './support/harness.js';
import { CLI, spawnHub } from './support/process.js';
import { wsOperation } from './support/raw-ws.js';

const run = promisify(execFile);
const VIEWER = '{ viewer { name } }';

/**
 * A development hub's local admin key is kept in its data folder: shown once, the same after a
 * restart, changed by `plantgraph api-key rotate`; the replaced one is told where the current one is.
 */
describe.each(MODES)('the local admin API key (%s)', (mode) => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('is kept across restarts and replaced by api-key rotate, with a message that says where', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plantgraph-key-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = { PLANTGRAPH_DATA_DIR: dataDir, PLANTGRAPH_FLOWS: 'off' };
    if (mode === 'postgres+nats') {
      const database = await createTestDatabase();
      cleanup.push(() => database.drop());
      env.DATABASE_URL = database.url;
      env.NATS_URL = TEST_NATS_URL;
      env.PLANTGRAPH_NATS_NAMESPACE = uniqueName('k');
      cleanup.push(() => deleteNatsNamespace(env.PLANTGRAPH_NATS_NAMESPACE!));
    }
    const file = join(dataDir, 'local-admin-key');

    const first = await spawnHub(env);
    const key = first.token!;
    expect(first.output()).toContain(`local admin API key (shown only now, kept in ${file}`);
    expect(readFileSync(file, 'utf8').trim()).toBe(key);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await first.stop();

    const second = await spawnHub(env);
    expect(second.output()).toContain(`local admin API key: kept in ${file} (cat it`);
    expect(second.output()).not.toContain(key);
    expect(second.token).toBe(key);
    expect((await graphqlRaw(second.url, { query: VIEWER }, key)).body.data.viewer.name).toBe('api-key:local-admin');
    await second.stop();

    const rotated = await run(process.execPath, [CLI, 'api-key', 'rotate'], {
      env: { ...env, PATH: process.env.PATH },
    });
    const newKey = /\n(pgk_\S+)/.exec(rotated.stdout)![1]!;
    expect(newKey).not.toBe(key);
    expect(readFileSync(file, 'utf8').trim()).toBe(newKey);

    const third = await spawnHub(env);
    try {
      expect(third.token).toBe(newKey);
      expect((await graphqlRaw(third.url, { query: VIEWER }, newKey)).status).toBe(200);
      const refused = await graphqlRaw(third.url, { query: VIEWER }, key);
      expect(refused.status).toBe(401);
      expect(refused.body.errors[0].message).toMatch(
        new RegExp(`local admin API key was replaced at .*kept in ${file} .*plantgraph api-key rotate`),
      );
      const socket = await wsOperation(third.url, key, JSON.stringify({ query: VIEWER }));
      expect(socket).toEqual({
        type: 'closed',
        code: 4403,
        reason: `Local admin API key replaced; the current one is in ${file}`,
      });
      // Others presenting a wrong secret learn nothing about the key.
      const forged = `${key.slice(0, 17)}${'A'.repeat(key.length - 17)}`;
      expect((await graphqlRaw(third.url, { query: VIEWER }, forged)).body.errors[0].message).toMatch(
        /unknown, revoked/,
      );
    } finally {
      await third.stop();
    }
  }, 240_000);
});

describe('plantgraph api-key rotate in production', () => {
  it('is refused: production has no local admin key', async () => {
    const failed = await run(process.execPath, [CLI, 'api-key', 'rotate'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PLANTGRAPH_DATA_DIR: 'memory://',
        PLANTGRAPH_FLOWS: 'off',
      },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/production has none.*api-key create/);
  });
});
