// Type-checks and bundles the GraphQL IDE (hub/ide/main.tsx, GraphiQL 4, React) into hub/dist/ide with esbuild,
// the README's examples as its saved tabs, and the licences of everything bundled next to it.
// Skips the work when the output is newer than its inputs. Run by `npm run build` and the Dockerfile.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleLicences } from './licences.mjs';
import { readmeOperations } from './readme-operations.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const out = join(here, '..', 'dist', 'ide');
const readme = join(root, 'README.md');

const inputs = [readme, join(root, 'package-lock.json'), ...readdirSync(here).map((f) => join(here, f))];
const output = join(out, 'ide.js');
const newest = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
if (existsSync(output) && statSync(output).mtimeMs > newest && !process.argv.includes('--force')) process.exit(0);

const started = Date.now();
// esbuild strips types without checking them; tsc checks the browser code first (hub/ide/tsconfig.json).
execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', here], { stdio: 'inherit' });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: { ide: join(here, 'main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  outdir: out,
  metafile: true,
  legalComments: 'none', // collected whole into licenses.txt below
  logLevel: 'warning',
  define: {
    'process.env.NODE_ENV': '"production"',
    PLANTGRAPH_OPERATIONS: JSON.stringify(readmeOperations(readFileSync(readme, 'utf8'))),
  },
});
writeFileSync(
  join(out, 'licenses.txt'),
  bundleLicences(root, Object.keys(result.metafile.inputs), 'GraphQL IDE (ide.js, ide.css)'),
);
console.log(`[ide] bundled the GraphQL IDE into ${out} in ${Date.now() - started} ms`);
