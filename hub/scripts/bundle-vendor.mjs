// Part of `npm run build`: bundles the third-party packages the hub process imports into a few files
// in hub/dist/vendor, so that `plantgraph` loads tens of files instead of about 1,500 (each resolved,
// read and linked by Node's loader; ADR 0074). PlantGraph's own packages stay as tsc wrote them, so
// their import.meta.url paths (migrations, baselines, assets, workers) are unchanged.
// manifest.json maps each bundled package file, as Node resolves it, to its bundled copy; the CLI's
// hook (vendor-bundle.ts) loads the copy wherever Node would have loaded that file.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const hubDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(hubDir, '..');
const out = join(hubDir, 'dist/vendor');
// The packages whose code runs in the hub process: the hub and the extensions it loads by name. The
// console is a browser bundle and flows/node-red runs in the flows child.
const HUB_PROCESS = ['hub', 'schema', 'demo', ...readdirSync(join(root, 'connectors')).map((c) => `connectors/${c}`)];
// Loaded from node_modules as before: PlantGraph's own packages, packages that read files next to
// their code (PGlite's WebAssembly, BullMQ's Lua scripts, pdfkit's font metrics), and packages loaded
// after the start or in another process. Packages found to use their own file's location (below) are
// added to it. And `pg` (ADR 0077): BullMQ require()s it while the hub imports it, and a require() of
// a bundled copy is a require() of an ES module, which can meet that module's evaluation under way;
// from node_modules both get pg's CommonJS module, one copy.
const UNBUNDLED = ['@electric-sql/pglite', 'bullmq', 'ioredis', 'node-opcua', 'node-red', 'pdfkit', 'pg'];
const unbundled = (spec) =>
  spec.startsWith('@plantgraph/') || UNBUNDLED.some((p) => spec === p || spec.startsWith(`${p}/`));
const packageNameOf = (path) => /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
// Resolved as Node resolves an import: its conditions and no "module" field.
const asNode = { platform: 'node', format: 'esm', conditions: ['module-sync'], mainFields: ['main'] };

const started = performance.now();
rmSync(out, { recursive: true, force: true });

function compiledFiles(dir, into = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'vendor' && name !== 'node_modules') compiledFiles(path, into);
    } else if (name.endsWith('.js')) into.push(path);
  }
  return into;
}

/** Resolves a package import as Node would (esbuild's resolver, Node's rules); null when not installed. */
async function resolvePackage(build, args) {
  const found = await build.resolve(args.path, {
    kind: args.kind,
    resolveDir: args.resolveDir,
    importer: args.importer,
    pluginData: { inner: true },
  });
  return found.errors.length || !found.path.includes('/node_modules/') ? null : found;
}

/**
 * Finds each file a package import of the given modules resolves to: into `resolved`, or for an
 * unbundled third-party package into `unbundledFiles`.
 */
function packageFilesOf(resolved, unbundledFiles) {
  return {
    name: 'package-files',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData?.inner) return undefined;
        if (args.path.startsWith('node:') || args.path.startsWith('@plantgraph/')) return { external: true };
        // An optional import that is not installed stays Node's to resolve (and fail) at run time.
        const found = await resolvePackage(build, args);
        if (found) (unbundled(args.path) ? unbundledFiles : resolved).add(found.path);
        return { external: true };
      });
    },
  };
}

const packageFiles = new Set();
const unbundledFiles = new Set();
const scan = (entryPoints, plugin) =>
  esbuild.build({
    ...asNode,
    entryPoints,
    bundle: true,
    write: false,
    outdir: out,
    plugins: [plugin],
    logLevel: 'silent',
  });
await scan(
  HUB_PROCESS.flatMap((p) => {
    const dist = join(root, p, 'dist');
    return statSync(dist, { throwIfNoEntry: false })?.isDirectory() ? compiledFiles(dist) : [];
  }),
  packageFilesOf(packageFiles, unbundledFiles),
);

/**
 * The files of bundled packages that the unbundled ones (and what they import) reach, often by another
 * file than the hub's (a package's CommonJS entry where the hub imports its ES wrapper): bundled too,
 * so both share one copy of the package, each keeping one state. (`pg`, the case that needed it, is
 * now unbundled itself: ADR 0077.)
 */
async function reachedFromUnbundled(files) {
  const bundledPackages = new Set([...packageFiles].map(packageNameOf));
  await scan(
    [...files].filter((f) => !/\/node_modules\/node-red\//.test(f)),
    {
      name: 'reached-from-unbundled',
      setup(build) {
        // What esbuild cannot read as code (native addons, WebAssembly) imports no package.
        build.onResolve({ filter: /\.(node|wasm|data)$/ }, () => ({ external: true }));
        build.onResolve({ filter: /^[^./]/ }, async (args) => {
          if (args.pluginData?.inner) return undefined;
          if (args.path.startsWith('node:') || args.path.startsWith('@plantgraph/')) return { external: true };
          const found = await resolvePackage(build, args);
          if (!found || !bundledPackages.has(packageNameOf(found.path))) return found ?? { external: true };
          packageFiles.add(found.path);
          return { external: true };
        });
      },
    },
  );
}
await reachedFromUnbundled(unbundledFiles);

// One entry per package file, re-exporting exactly the names Node gives an importer of it (for a
// CommonJS package, the ones its lexer finds), so an import of the bundled copy sees what it saw before.
const entryDir = join(out, 'entries');
mkdirSync(entryDir, { recursive: true });
const entries = {};
// The versions are checked at each start: after an `npm install` without a build, the CLI loads
// node_modules rather than an older copy of a package (vendor-bundle.ts).
const manifest = { files: {}, packages: {} };
/** The package.json of the package a file belongs to (the nearest one with a name), and its version. */
function owningPackage(file) {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    const json = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
    if (json.name) return { path, version: json.version };
  }
}
for (const file of [...packageFiles].sort()) {
  const namespace = await import(pathToFileURL(file).href);
  const names = Object.keys(namespace).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
  // A CommonJS package also gives its module.exports to a require() of its bundled copy (Node returns
  // an ES module's "module.exports" export to require), so both kinds of import share one copy.
  const commonJs = 'module.exports' in namespace;
  const name = relative(join(root, 'node_modules'), file)
    .replace(/\.[cm]?js$/, '')
    .replace(/[^\w.-]/g, '+');
  const entry = join(entryDir, `${name}.mjs`);
  const from = JSON.stringify(file);
  writeFileSync(
    entry,
    commonJs
      ? `import cjs from ${from};\nexport { ${names.filter((n) => n !== 'default').join(', ')} } from ${from};\n` +
          'export { cjs as default, cjs as "module.exports" };\n'
      : `export { ${names.join(', ')} } from ${from};\n`,
  );
  entries[name] = entry;
  manifest.files[relative(hubDir, file)] = `./${name}.js`;
  const owner = owningPackage(file);
  manifest.packages[relative(hubDir, owner.path)] = owner.version;
}

// What the bundled packages import optionally and is not installed stays an import, failing or caught
// at run time as before (type-graphql's class-validator, pg's pg-native).
const optionalImports = {
  name: 'optional-imports',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.inner || args.path.startsWith('node:')) return undefined;
      if (unbundled(args.path)) return { path: args.path, external: true };
      const found = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: { inner: true },
      });
      return found.errors.length ? { path: args.path, external: true } : found;
    });
  },
};
const bundling = {
  ...asNode,
  absWorkingDir: hubDir,
  entryPoints: entries,
  bundle: true,
  splitting: true,
  target: 'node22',
  // MikroORM names entities and type-graphql names types by their classes' names.
  keepNames: true,
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  plugins: [optionalImports],
  outdir: out,
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS code in the bundle calls require() for Node's own modules and its optional peers.
  banner: {
    js: [
      "import { createRequire as __vendorRequire } from 'node:module';",
      'const require = __vendorRequire(import.meta.url);',
    ].join(' '),
  },
  metafile: true,
  logLevel: 'warning',
};
// A package whose code uses its own file's location (__dirname, __filename, a worker started from a
// file: xmllint-wasm's WebAssembly worker, pino's transports) would look for it next to the bundle:
// it stays unbundled, found by a dry run of the bundle. Comment lines do not count.
const dryRun = await esbuild.build({ ...bundling, write: false });
for (const input of Object.keys(dryRun.metafile.inputs)) {
  const name = packageNameOf(input);
  if (!name || unbundled(name)) continue;
  const code = readFileSync(join(hubDir, input), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\/?\*)/.test(line));
  if (code.some((line) => /(^|[^.\w$])(__dirname|__filename)\b|\bnew Worker\(/.test(line))) UNBUNDLED.push(name);
}
for (const [original, copy] of Object.entries(manifest.files)) {
  if (!unbundled(packageNameOf(original))) continue;
  delete manifest.files[original];
  delete bundling.entryPoints[copy.slice(2, -3)];
}
for (const packageJson of Object.keys(manifest.packages))
  if (unbundled(packageNameOf(packageJson))) delete manifest.packages[packageJson];
const result = await esbuild.build(bundling);
rmSync(entryDir, { recursive: true, force: true });
// esbuild (0.28) names the variable behind an export named "module.exports" `export_module.exports`,
// which does not parse: renamed in the entries, the only files that export it.
for (const copy of Object.values(manifest.files)) {
  const path = join(out, copy);
  writeFileSync(path, readFileSync(path, 'utf8').replaceAll('export_module.exports', 'export_module_exports'));
}
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
const files = Object.keys(result.metafile.outputs).length;
const modules = Object.keys(result.metafile.inputs).length - Object.keys(entries).length;
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const imports = Object.keys(manifest.files).length;
console.log(`[build] vendor bundle: ${imports} package imports, ${modules} modules in ${files} files (${seconds} s)`);
console.log(`[build] left in node_modules: ${UNBUNDLED.join(', ')}`);
