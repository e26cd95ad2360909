import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestHub, uniqueName, type TestHub } from './support/harness.js';
import { CLI } from './support/process.js';
import { deploy, endpoint, eventually, helloFlow, withFlows } from './support/flows.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const run = promisify(execFile);

/** `plantgraph flows export|import`: byte-for-byte round trips, checked input, picked up by the running hub. */
describe('plantgraph flows export / import', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let hub: TestHub;
  const plant = uniqueName('cli');
  const dir = mkdtempSync(join(tmpdir(), 'plantgraph-flows-cli-'));
  const file = (name: string) => join(dir, name);
  let env: Record<string, string>;
  const cli = (...args: string[]) => run(process.execPath, [CLI, 'flows', ...args], { env, cwd: dir });
  const revisions = async () => {
    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    const { rows } = await c.query('select count(*)::int as n from flow_revision where plant = $1', [plant]);
    await c.end();
    return rows[0].n as number;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    env = { PATH: process.env.PATH ?? '', DATABASE_URL: database.url };
    hub = await startTestHub('postgres+nats', { databaseUrl: database.url, ...withFlows(plant) });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a file exactly as written, exports it byte for byte, and the running hub loads it', async () => {
    // Hand-formatted: 2-space indent, no final newline; kept as is.
    const text = JSON.stringify(helloFlow('c1', '/from-cli', 'imported by the CLI'), null, 2);
    writeFileSync(file('a.json'), text);
    const imported = await cli('import', plant, '--file', file('a.json'));
    expect(imported.stdout).toMatch(
      new RegExp(`imported .*a\\.json into plant "${plant}" as revision \\d+ \\(3 nodes\\)`),
    );
    const exported = await cli('export', plant, '--file', file('b.json'));
    expect(exported.stdout).toContain(file('b.json'));
    expect(readFileSync(file('b.json'), 'utf8')).toBe(text);
    await cli('import', plant, '--file', file('b.json'));
    await cli('export', plant);
    expect(readFileSync(join(dir, 'flows', 'plants', `${plant}.json`), 'utf8')).toBe(text);
    // The hub running the flows picks the new revision up from the shared database.
    await eventually(
      async () => (await (await endpoint(hub.url, '/from-cli', hub.localAdminToken)).text()) === 'imported by the CLI',
      10_000,
      'the hub to load the imported revision',
    );
    const { flowDeployments } = await hub.gql(`{ flowDeployments(plant: "${plant}", first: 1) { deployedBy origin } }`);
    expect(flowDeployments[0]).toEqual({ deployedBy: 'cli', origin: 'cli' });
  });

  it('exports an editor deploy canonically, and export → import → export is identical', async () => {
    const flows = helloFlow('c2', '/from-editor', 'deployed in the editor');
    expect((await deploy(hub.url, hub.localAdminToken, flows)).status).toBe(204);
    await cli('export', plant, '--file', file('c.json'));
    const first = readFileSync(file('c.json'), 'utf8');
    expect(first).toBe(`${JSON.stringify(flows, null, 4)}\n`);
    await cli('import', plant, '--file', file('c.json'));
    await cli('export', plant, '--file', file('d.json'));
    expect(readFileSync(file('d.json'), 'utf8')).toBe(first);
  });

  it.each([
    ['not JSON', '[{"id": "a", "type": "tab"', /is not valid JSON/],
    ['an object, not an array', '{"id": "a", "type": "tab"}', /must be a JSON array of nodes/],
    ['an entry without id', '[{"type": "tab"}]', /entry 0 has no "id"/],
    ['an entry without type', '[{"id": "a"}]', /entry 0 \(id "a"\) has no "type"/],
    [
      'a duplicate id',
      '[{"id": "a", "type": "tab"}, {"id": "a", "type": "inject"}]',
      /id "a" is used by more than one entry/,
    ],
  ])('refuses %s with a clear error and stores nothing', async (_what, content, message) => {
    const before = await revisions();
    writeFileSync(file('bad.json'), content);
    const failed = await cli('import', plant, '--file', file('bad.json')).then(
      () => null,
      (err) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed.stderr).toMatch(/nothing stored/);
    expect(failed.stderr).toMatch(message);
    expect(await revisions()).toBe(before);
  });

  it('says what is missing: a file, a plant with flows, the arguments', async () => {
    await expect(cli('import', plant, '--file', file('missing.json'))).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/cannot read .*missing\.json \(ENOENT\)/),
    });
    await expect(cli('export', 'no-such-plant', '--file', file('x.json'))).rejects.toMatchObject({
      stderr: expect.stringMatching(/plant "no-such-plant" has no flows/),
    });
    await expect(cli('export')).rejects.toMatchObject({
      stderr: expect.stringMatching(/Usage: plantgraph flows export\|import <plant>/),
    });
  });

  it('refuses to import flows with nodes that reach the host, unless the installation allows them', async () => {
    const flows = [
      ...helloFlow('x1', '/x1', 'x'),
      { id: 'x1-exec', type: 'exec', z: 'x1', name: 'shell', command: 'id', wires: [[], [], []] },
    ];
    writeFileSync(file('exec.json'), JSON.stringify(flows));
    const stored = await revisions();
    await expect(cli('import', plant, '--file', file('exec.json'))).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /flows import: nothing stored\. Deploy refused: exec "shell" \(id x1-exec\) reaches the hub's host .*PLANTGRAPH_FLOWS_HOST_ACCESS=on/,
      ),
    });
    expect(await revisions()).toBe(stored);
    const allowed = await run(process.execPath, [CLI, 'flows', 'import', plant, '--file', file('exec.json')], {
      env: { ...env, PLANTGRAPH_FLOWS_HOST_ACCESS: 'on' },
      cwd: dir,
    });
    expect(allowed.stdout).toMatch(/imported .*exec\.json/);
    expect(await revisions()).toBe(stored + 1);
  });
});
