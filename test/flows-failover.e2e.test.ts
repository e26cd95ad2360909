import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_NATS_URL, createTestDatabase, deleteNatsNamespace, sleep, uniqueName } from './support/harness.js';
import { CLI, spawnHub, type HubProcess } from './support/process.js';
import { deploy, endpoint, eventually, helloFlow, tickerFlow } from './support/flows.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const run = promisify(execFile);

/** Two hub processes on one PostgreSQL: the plant's flows run on exactly one, and move when it dies. */
describe('flows run on one replica and fail over', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const namespace = uniqueName('f');
  const plant = uniqueName('failover');
  const dir = mkdtempSync(join(tmpdir(), 'plantgraph-failover-'));
  let collector: Server;
  const ticks: { replica: string; at: number }[] = [];
  let a: HubProcess;
  let b: HubProcess;
  let token: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    // Every tick of the flow reports here with the name of the replica that ran it and when it ran
    // (the flow's own clock, the same machine's): under load a tick sent just before the kill can
    // arrive well after it, and what is checked is where flows ran, not how fast this process reads.
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const tick = JSON.parse(body);
        ticks.push({ replica: tick.replica, at: tick.sentAt });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/tick`;
    database = await createTestDatabase();
    env = {
      DATABASE_URL: database.url,
      NATS_URL: TEST_NATS_URL,
      PLANTGRAPH_NATS_NAMESPACE: namespace,
      PLANTGRAPH_SIMULATOR_INTERVAL_MS: '0',
      PLANTGRAPH_FLOWS_PLANT: plant,
    };
    const created = await run(
      process.execPath,
      [CLI, 'api-key', 'create', '--name', 'failover-test', '--grant', 'admin@*'],
      { env: { ...env, PATH: process.env.PATH ?? '' } },
    );
    token = /\n(pgk_\S+)/.exec(created.stdout)![1]!;
    const flows = tickerFlow(
      url,
      'msg.payload = { replica: env.get("FLOWS_TEST_REPLICA"), sentAt: Date.now() }; msg.headers = { "content-type": "application/json" }; return msg;',
    );
    writeFileSync(join(dir, 'ticker.json'), JSON.stringify(flows, null, 2));
    await run(process.execPath, [CLI, 'flows', 'import', plant, '--file', join(dir, 'ticker.json')], {
      env: { ...env, PATH: process.env.PATH ?? '' },
    });
    a = await spawnHub({ ...env, FLOWS_TEST_REPLICA: 'a' });
    await eventually(async () => ticks.some((t) => t.replica === 'a'), 15_000, 'replica a to run the flows');
    b = await spawnHub({ ...env, FLOWS_TEST_REPLICA: 'b' });
    // Two hubs, each with its flows process, on two shared cores: more than the default minute under load.
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await new Promise((r) => collector?.close(r));
    await database?.drop();
    await deleteNatsNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the flows on the leader only, serves the editor on the standby, and fails over within 5 s of a SIGKILL', async () => {
    expect(a.output()).toMatch(/lease plantgraph:flows:\S+: acquired/);
    expect(b.output()).toMatch(/standby for plant/);
    // The standby serves the editor and its API, with the same flows.
    const onB = await fetch(`${b.url}/flows/flows`, { headers: { authorization: `Bearer ${token}` } });
    expect(onB.status).toBe(200);
    expect(((await onB.json()) as any[]).map((n) => n.id)).toContain('f-inject');
    await sleep(2500);
    expect(ticks.filter((t) => t.replica === 'a').length).toBeGreaterThan(5);
    expect(ticks.filter((t) => t.replica === 'b')).toEqual([]);

    const killedAt = Date.now();
    await a.kill();
    const firstOnB = await eventually(
      async () => ticks.find((t) => t.replica === 'b'),
      10_000,
      'replica b to take over the flows',
    );
    expect(firstOnB.at - killedAt).toBeLessThan(5000);
    // Before the kill only a ran them; after it only b.
    expect(ticks.filter((t) => t.at < killedAt).every((t) => t.replica === 'a')).toBe(true);
    expect(b.output()).toMatch(/lease plantgraph:flows:\S+: acquired/);
    await sleep(1000);
    expect(ticks.filter((t) => t.at > killedAt + 500).every((t) => t.replica === 'b')).toBe(true);

    // A deploy to the new leader (any replica stores it) changes what runs.
    expect((await deploy(b.url, token, helloFlow('h', '/after-failover', 'served by b'))).status).toBe(204);
    await eventually(
      async () => (await (await endpoint(b.url, '/after-failover', token)).text()) === 'served by b',
      10_000,
      'the new flows on b',
    );
  });
});
