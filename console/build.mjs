// Type-checks and bundles the plant console (console/src, Preact) with esbuild into hub/dist/console,
// where the hub serves it at /console, with the licences of everything bundled next to it (ADR 0044).
// Skips the work when the output is newer than its inputs. Run by `npm run build` and the Dockerfile.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { bundleLicences } from '../hub/ide/licences.mjs';
import { generate } from './codegen.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const out = join(root, 'hub', 'dist', 'console');
const src = join(here, 'src');

const inputs = [
  join(root, 'package-lock.json'),
  join(root, 'schema', 'schema.graphql'),
  join(here, 'build.mjs'),
  join(here, 'codegen.mjs'),
  ...readdirSync(src)
    .filter((f) => f !== 'generated')
    .map((f) => join(src, f)),
];
const output = join(out, 'console.js');
const newest = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
if (existsSync(output) && statSync(output).mtimeMs > newest && !process.argv.includes('--force')) process.exit(0);

const started = Date.now();
// The operations' result types from the schema first (codegen.mjs), so that tsc checks the screens against it.
const typed = await generate();
const generated = Date.now();
// esbuild strips types without checking them; tsc checks the browser code first (console/tsconfig.json).
execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', here], { stdio: 'inherit' });
const checked = Date.now();
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: { console: join(src, 'main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  metafile: true,
  legalComments: 'none', // collected whole into licenses.txt below
  logLevel: 'warning',
});
writeFileSync(
  join(out, 'licenses.txt'),
  bundleLicences(root, Object.keys(result.metafile.inputs), 'plant console (console.js, console.css)'),
);
const gzipped = ['console.js', 'console.css'].reduce((n, f) => n + gzipSync(readFileSync(join(out, f))).length, 0);
console.log(
  `[console] bundled the plant console into ${out} in ${Date.now() - started} ms ` +
    `(${typed} operations typed in ${generated - started} ms, type check ${checked - generated} ms), ` +
    `${(gzipped / 1024).toFixed(1)} KB gzipped`,
);
