import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RED = resolve(PACKAGE_DIR, '../../node_modules/node-red/red.js');
const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
  name: string;
  private?: boolean;
  keywords: string[];
  'node-red': { nodes: Record<string, string> };
};

const freePort = () =>
  new Promise<number>((done, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.on('error', fail);
  });

/**
 * The node package as a plant's Node-RED gets it: packed to a tarball (what `npm publish` would
 * upload), installed into a fresh Node-RED user directory with npm, and loaded by a stock Node-RED
 * 5 process, which lists every PlantGraph node type and deploys the package's example flow.
 */
describe('the Node-RED node package, installed from its tarball', () => {
  const work = mkdtempSync(join(tmpdir(), 'plantgraph-nr-package-'));
  let red: ChildProcess | null = null;
  afterAll(() => {
    red?.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('is publishable, installs with npm and loads every node in Node-RED', { timeout: 300_000 }, async () => {
    expect(manifest.private).toBeUndefined();
    expect(manifest.keywords).toContain('node-red');

    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: PACKAGE_DIR,
      timeout: 120_000,
    });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    const files = packed!.files.map((f) => f.path);
    for (const entry of Object.values(manifest['node-red'].nodes)) {
      expect(files).toContain(entry);
      expect(files).toContain(entry.replace(/\.js$/, '.html'));
    }
    expect(files).toContain('README.md');
    expect(files.filter((f) => f.startsWith('examples/'))).not.toHaveLength(0);
    expect(files.filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);

    const userDir = join(work, 'user');
    await run('mkdir', ['-p', userDir]);
    writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', join(work, packed!.filename)],
      { cwd: userDir, timeout: 240_000 },
    );

    const port = await freePort();
    const settings = join(work, 'settings.cjs');
    writeFileSync(
      settings,
      `module.exports = ${JSON.stringify({
        uiHost: '127.0.0.1',
        uiPort: port,
        flowFile: 'flows.json',
        credentialSecret: false,
        logging: { console: { level: 'warn' } },
      })};`,
    );
    let output = '';
    red = spawn(process.execPath, [RED, '--settings', settings, '--userDir', userDir], { stdio: 'pipe' });
    red.stdout!.on('data', (b) => (output += b));
    red.stderr!.on('data', (b) => (output += b));
    const base = `http://127.0.0.1:${port}`;
    const json = { Accept: 'application/json', 'Node-RED-API-Version': 'v2' };
    type NodeSet = { module: string; types: string[]; enabled: boolean; err?: string };
    let nodeSets: NodeSet[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const answer = await fetch(`${base}/nodes`, { headers: json }).catch(() => null);
      if (answer?.ok) {
        nodeSets = (await answer.json()) as NodeSet[];
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(nodeSets, `Node-RED did not answer within 60 s:\n${output}`).not.toHaveLength(0);

    const ours = nodeSets.filter((s) => s.module === manifest.name);
    expect(ours.map((s) => s.err ?? null)).toEqual(ours.map(() => null));
    expect(ours.map((s) => [s.types, s.enabled])).toEqual(ours.map((s) => [s.types, true]));
    expect(ours.flatMap((s) => s.types).sort()).toEqual(Object.keys(manifest['node-red'].nodes).sort());

    // The example shows in Node-RED's Import → Examples menu, and deploys as it is.
    const examples = await (await fetch(`${base}/library/examples/flows/`, { headers: json })).text();
    expect(examples).toContain(manifest.name);
    const [example] = readdirSync(join(PACKAGE_DIR, 'examples'));
    const flow = readFileSync(join(PACKAGE_DIR, 'examples', example!), 'utf8');
    const deployed = await fetch(`${base}/flows`, {
      method: 'POST',
      headers: { ...json, 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify({ flows: JSON.parse(flow) }),
    });
    expect(deployed.status, await deployed.text()).toBe(200);
    const running = (await (await fetch(`${base}/flows`, { headers: json })).json()) as { flows: { type: string }[] };
    expect(running.flows.map((n) => n.type).sort()).toEqual(
      (JSON.parse(flow) as { type: string }[]).map((n) => n.type).sort(),
    );
  });
});
