#!/usr/bin/env -S node --max-semi-space-size=8
// The flag on the line above caps V8's young generation at 2 x 8 MB: Node's default lets it grow to
// 2 x 64 MB during the start, which a hub then keeps as resident memory (ADR 0030). Whoever runs
// the hub with `node hub/dist/cli.js` passes it too (the Dockerfile, `npm start`, the benchmarks).
// The CLI's entry. Its first act is to check Node's version, before the hub's modules are loaded: on
// an older Node they fail while being linked, with messages such as "'node:fs' does not provide an
// export named 'globSync'" that do not say what is wrong. So this file imports nothing statically.
const NEEDED = [22, 17] as const;
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < NEEDED[0] || (major === NEEDED[0] && minor < NEEDED[1])) {
  console.error(
    `[plantgraph] PlantGraph needs Node.js ${NEEDED.join('.')} or newer (24 recommended); this is Node.js ` +
      `${process.versions.node} (${process.execPath}). Install a newer Node.js (https://nodejs.org) and run it again.`,
  );
  process.exit(1);
}
// A wrong NATS_URL is told before the hub loads (seconds on a busy machine), not after.
if (process.argv[2] === 'start' && process.env.NATS_URL) {
  const { checkNatsSetting } = await import('./infrastructure/bus/nats-connect.js');
  await checkNatsSetting(process.env).catch((err: Error) => {
    console.error(`[plantgraph] ${err.message}`);
    process.exit(1);
  });
}
// The hub's modules compiled once and kept on disk (the operating system's temporary folder, or
// NODE_COMPILE_CACHE): a start after the first compiles none of them again, about a third of a
// warm start's CPU (ADR 0030).
(await import('node:module')).enableCompileCache?.();
// The packages the hub imports, from the bundle the build wrote (ADR 0074).
(await import('./vendor-bundle.js')).loadPackagesFromVendorBundle();
// A new embedded folder's baseline unpacks in a worker thread while the modules load (ADR 0070).
const unpackingAhead =
  process.argv[2] === 'start'
    ? await (await import('./start-ahead.js')).unpackAheadForStart(process.env, process.argv.slice(3))
    : null;
const { main } = await import('./commands.js');
await main(process.argv.slice(2), unpackingAhead).catch(async (err: Error) => {
  console.error(`[plantgraph] ${err.message}`);
  await unpackingAhead?.discard();
  process.exit(1);
});
