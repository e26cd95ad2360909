// The CLI loads the third-party packages the hub process imports from the bundle `npm run build`
// writes to dist/vendor (hub/scripts/bundle-vendor.mjs): tens of files instead of about 1,500, a third
// of a second of every start (ADR 0074). Each import is resolved by Node as before; where it resolves
// to a file that was bundled, the bundled copy is loaded instead, for every import and require() (the
// hub's modules and extensions loaded by name alike), so there is still one copy of each package. The
// hub used as a library (tests, an embedding program) loads node_modules as before.
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

interface VendorManifest {
  /** The original file of each bundled package import (relative to the hub's folder), and its copy. */
  files: Record<string, string>;
  /** The version of each of those packages when bundled, by its package.json. */
  packages: Record<string, string>;
}

/** Registers the hook when the bundle was built and is current; returns whether it did. */
export function loadPackagesFromVendorBundle(): boolean {
  const folder = new URL('./vendor/', import.meta.url);
  const hubFolder = new URL('../', import.meta.url);
  let manifest: VendorManifest;
  try {
    manifest = JSON.parse(readFileSync(new URL('manifest.json', folder), 'utf8'));
  } catch {
    return false; // built without it (tsc alone): node_modules, as before
  }
  // All or nothing: a bundled package next to an updated one could mean two copies of a shared one.
  // One no longer installed (an image without the build's simulators) cannot be loaded either way.
  for (const [packageJson, version] of Object.entries(manifest.packages)) {
    const installed = readVersion(new URL(packageJson, hubFolder));
    if (installed === null || installed === version) continue;
    console.warn(
      `[plantgraph] ${packageJson} is ${installed}, bundled as ${version}: loading packages from ` +
        'node_modules, which is slower to start; run `npm run build` to bundle them again.',
    );
    return false;
  }
  const bundled = new Map(
    Object.entries(manifest.files).map(([original, copy]) => [
      new URL(original, hubFolder).href,
      new URL(copy, folder).href,
    ]),
  );
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      const copy = bundled.get(resolved.url);
      return copy ? { url: copy, format: 'module', shortCircuit: true } : resolved;
    },
  });
  return true;
}

function readVersion(packageJson: URL): string | null {
  try {
    return JSON.parse(readFileSync(packageJson, 'utf8')).version ?? null;
  } catch {
    return null;
  }
}
