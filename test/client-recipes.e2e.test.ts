import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/harness.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'node_modules', '.bin');

/**
 * The README's client recipes, as a user would take them: its files (code blocks whose first line
 * names the file) in a project of their own, GraphQL Code Generator run on them, everything
 * compiled by tsc in strict mode, and each client's query run against a hub with the demo plant.
 */
function readmeRecipeFiles(markdown: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const [, body] of markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const name = /^\/\/ ([\w.-]+\.ts)\b/.exec(body!)?.[1];
    if (name) files.set(name, body!);
  }
  return files;
}

describe('the client recipes in the README', () => {
  const project = mkdtempSync(join(tmpdir(), 'plantgraph-recipes-'));
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub('embedded', { demo: true, simulatorIntervalMs: 0 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    rmSync(project, { recursive: true, force: true });
  });

  it('generate types with typescript-operations alone, compile strictly, and query the hub', async () => {
    const files = readmeRecipeFiles(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect([...files.keys()].sort()).toEqual([
      'codegen.ts',
      'operations.ts',
      'plantgraph-apollo.ts',
      'plantgraph-urql.ts',
    ]);
    for (const [name, text] of files) writeFileSync(join(project, name), text);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
    copyFileSync(join(ROOT, 'schema', 'schema.graphql'), join(project, 'schema.graphql'));

    await run(join(BIN, 'graphql-codegen'), ['--config', 'codegen.ts'], { cwd: project, timeout: 120_000 });
    const generated = readFileSync(join(project, 'graphql.generated.ts'), 'utf8');
    expect(generated).toMatch(/export type LineStatesQuery = /);
    expect(generated).toMatch(/stateSince: string/); // DateTimeISO mapped, not `any`
    expect(generated).not.toMatch(/\bany\b/);

    const sources = [...files.keys(), 'graphql.generated.ts'].filter((f) => f !== 'codegen.ts');
    const tsc = [
      '--strict',
      '--skipLibCheck',
      '--types',
      'node',
      '--target',
      'es2022',
      '--module',
      'nodenext',
      '--outDir',
      'out',
    ];
    await run(join(BIN, 'tsc'), [...tsc, ...sources], { cwd: project, timeout: 120_000 }).catch(
      (err: { stdout: string }) => {
        throw new Error(`the recipes do not compile:\n${err.stdout}`);
      },
    );

    const env = { PATH: process.env.PATH, PLANTGRAPH_URL: hub.url, PLANTGRAPH_TOKEN: hub.localAdminToken! };
    for (const client of ['plantgraph-apollo', 'plantgraph-urql']) {
      const script = `const { lineStates } = await import('./out/${client}.js');
        console.log(JSON.stringify(await lineStates('acme/berlin/assembly/line-1'))); process.exit(0);`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env });
      expect(JSON.parse(stdout), client).toContain('acme/berlin/assembly/line-1/press-1: Offline');
    }
  }, 240_000);
});
