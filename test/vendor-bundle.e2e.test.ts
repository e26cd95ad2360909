import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI } from './support/process.js';

const run = promisify(execFile);
const HUB_DIST = fileURLToPath(new URL('../hub/dist/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${HUB_DIST}vendor/manifest.json`, 'utf8')) as {
  files: Record<string, string>;
};
const bundledFiles = new Set(
  Object.keys(manifest.files).map((original) => new URL(original, `file://${HUB_DIST}../`).href),
);

/** A hook loaded before the CLI that reports every module loaded from a node_modules folder. */
const COUNT_PACKAGE_LOADS = `data:text/javascript,${encodeURIComponent(`
  import { registerHooks } from 'node:module';
  const loaded = [];
  registerHooks({
    load(url, context, next) {
      if (url.includes('/node_modules/')) loaded.push(url);
      return next(url, context);
    },
  });
  process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(loaded) + '\\n'));
`)}`;

describe('the CLI with its vendor bundle (ADR 0074)', () => {
  it('loads the packages it imports from the bundle, not from node_modules', async () => {
    expect(Object.keys(manifest.files).length).toBeGreaterThan(20);
    const { stdout, stderr } = await run(process.execPath, ['--import', COUNT_PACKAGE_LOADS, CLI, 'help']).catch(
      (err: { stdout: string; stderr: string }) => err, // `help` exits 2 (no command given)
    );
    expect(stdout).toContain('plantgraph <command>');
    const loaded = JSON.parse(/^LOADED (.*)$/m.exec(stderr)![1]!) as string[];
    // What is left is unbundled on purpose (PGlite finds its WebAssembly next to itself; pg and the 34
    // files it requires, so BullMQ's require and the hub's import share its CommonJS module) or required
    // by CommonJS under another file name (graphql-ws's and ws's CommonJS builds, for the flows' package).
    expect(loaded.filter((url) => bundledFiles.has(url))).toEqual([]);
    expect(loaded.length).toBeLessThan(100);
  });

  it('gives the hub, an extension and an unbundled package, by import or require, one copy of a package', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const { loadPackagesFromVendorBundle } = await import(${JSON.stringify(`${HUB_DIST}vendor-bundle.js`)});
      if (!loadPackagesFromVendorBundle()) throw new Error('no bundle');
      const fromHub = createRequire(${JSON.stringify(`${HUB_DIST}index.js`)});
      const fromDemo = createRequire(${JSON.stringify(`${HUB_DIST}../../demo/dist/index.js`)});
      const imported = await import(${JSON.stringify(`${HUB_DIST}graphql/schema.js`)});
      const graphql = await import('graphql');
      const { printSchema } = graphql;
      const { InProcessBus } = await import(${JSON.stringify(`${HUB_DIST}index.js`)});
      // BullMQ (unbundled) requires pg's CommonJS entry, the hub imports its ES wrapper.
      const fromBullmq = createRequire(import.meta.resolve('bullmq'));
      const pg = (await import('pg')).default;
      console.log(JSON.stringify({
        resolved: import.meta.resolve('graphql'),
        sameForRequire: fromHub('graphql').GraphQLSchema === graphql.GraphQLSchema,
        sameForExtension: fromDemo('graphql').GraphQLSchema === graphql.GraphQLSchema,
        sameForUnbundled: fromBullmq('pg') === pg,
        sdl: printSchema(await imported.buildHubSchema(new InProcessBus(), { check: true })) + '\\n',
      }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: HUB_DIST });
    const seen = JSON.parse(stdout) as {
      resolved: string;
      sameForRequire: boolean;
      sameForExtension: boolean;
      sameForUnbundled: boolean;
      sdl: string;
    };
    expect(seen.resolved).toMatch(/\/hub\/dist\/vendor\/graphql\+index\.js$/);
    expect(seen.sameForRequire).toBe(true);
    expect(seen.sameForExtension).toBe(true);
    // One pg for both: the hub's outage-tolerant pg.Client must reach BullMQ's connections.
    expect(seen.sameForUnbundled).toBe(true);
    // type-graphql and MikroORM name types and entities by class names, which the bundle keeps.
    expect(seen.sdl).toBe(readFileSync(fileURLToPath(new URL('../schema/schema.graphql', import.meta.url)), 'utf8'));
  });

  it('is off when a bundled package was updated after the build, and says so; one removed is no reason', async () => {
    // A copy of the hook's module with a bundle whose one package is now installed in another version.
    const dir = mkdtempSync(join(tmpdir(), 'plantgraph-vendor-'));
    try {
      mkdirSync(join(dir, 'dist/vendor'), { recursive: true });
      mkdirSync(join(dir, 'node_modules/gauge'), { recursive: true });
      copyFileSync(`${HUB_DIST}vendor-bundle.js`, join(dir, 'dist/vendor-bundle.js'));
      writeFileSync(join(dir, 'node_modules/gauge/package.json'), '{"name":"gauge","version":"2.0.0"}');
      const bundle = { files: {}, packages: { 'node_modules/gauge/package.json': '1.0.0' } };
      writeFileSync(join(dir, 'dist/vendor/manifest.json'), JSON.stringify(bundle));
      const script = `const m = await import(${JSON.stringify(join(dir, 'dist/vendor-bundle.js'))});
        console.log(m.loadPackagesFromVendorBundle());`;
      const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script]);
      expect(stdout.trim()).toBe('false');
      expect(stderr).toContain('node_modules/gauge/package.json is 2.0.0, bundled as 1.0.0');
      expect(stderr).toContain('run `npm run build`');
      // A package that is no longer installed (an image without the build's simulators) is no reason.
      rmSync(join(dir, 'node_modules'), { recursive: true });
      const again = await run(process.execPath, ['--input-type=module', '-e', script]);
      expect(again.stdout.trim()).toBe('true');
      expect(again.stderr).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
