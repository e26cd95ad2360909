import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@plantgraph/hub';
import { graphql } from './support/harness.js';
import { CLI, spawnHub, type HubProcess } from './support/process.js';

/**
 * Embedded `publishSignals` used to answer when the in-process bus had queued the signals, so a
 * SIGKILL lost signals whose calls had answered `SignalsPublished`. Now it answers once stored.
 */
const run = promisify(execFile);
const PRESS_1 = 'acme/berlin/assembly/line-1/press-1';

describe('embedded signals', () => {
  const parent = mkdtempSync(join(tmpdir(), 'plantgraph-signals-'));
  const hubs: HubProcess[] = [];
  afterAll(async () => {
    await Promise.all(hubs.map((h) => h.kill()));
    rmSync(parent, { recursive: true, force: true });
  });
  const dataDir = join(parent, 'data');
  const lockFile = `${dataDir}.lock`;
  const env = {
    PATH: process.env.PATH ?? '',
    PLANTGRAPH_DATA_DIR: dataDir,
    PLANTGRAPH_FLOWS: 'off',
    PLANTGRAPH_SIMULATOR_INTERVAL_MS: '0',
  };
  const start = async () => {
    const hub = await spawnHub(env, ['--demo'], { readyWithinMs: 120_000 }); // two cores shared with other suites
    hubs.push(hub);
    return hub;
  };

  it("stores every signal publishSignals answered, and a SIGKILLed hub's folder is taken over at the next start", async () => {
    expect((await run(process.execPath, [CLI, 'migrate'], { env })).stdout).toMatch(/applied: Migration/);
    const hub = await start();
    const source = `durability-${Date.now()}`;
    const call = (from: number) =>
      graphql(
        hub.url,
        `mutation ($s: [EquipmentSignalInput!]!) {
      publishSignals(signals: $s) { __typename ... on SignalsPublished { accepted } } }`,
        {
          s: Array.from({ length: 100 }, (_, i) => ({
            kind: 'Count',
            path: PRESS_1,
            source,
            sequence: from + i,
            good: 1,
          })),
        },
        hub.token!,
      );
    const answers = await Promise.all([call(1), call(101), call(201), call(301)]);
    await hub.kill(); // right after the answers: no chance to drain anything
    expect(answers.map((a) => a.publishSignals)).toEqual(
      Array(4).fill({ __typename: 'SignalsPublished', accepted: 100 }),
    );
    const holder = () => (existsSync(lockFile) ? JSON.parse(readFileSync(lockFile, 'utf8')).pid : null);
    const leftBehind = holder(); // by the SIGKILL

    const again = await start();
    const takenOver = holder();
    await again.stop();
    const db = await openDatabase({ dataDir, logSql: false });
    try {
      const [row] = await db.em
        .fork()
        .execute<{ n: number }[]>('select count(*)::int as n from production_count where source = ?', [source]);
      expect(row!.n).toBe(400);
    } finally {
      await db.close();
    }
    expect([leftBehind, takenOver]).toEqual([hub.child.pid, again.child.pid]);
  }, 400_000);
});
