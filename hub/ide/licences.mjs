// The licence texts of the packages in a browser bundle (the IDE's, the console's), shipped next to it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Licences that let a bundle ship inside the Apache-2.0 hub with their notices. */
const ACCEPTED_LICENCES = new Set(['MIT', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', 'Apache-2.0', '0BSD']);

/**
 * The licence texts of every package among esbuild's input files; a package under another licence
 * fails the build. `what` names the bundle in the messages and the heading.
 */
export function bundleLicences(root, files, what) {
  const packages = new Set();
  for (const file of files) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (match) packages.add(match[1]);
  }
  const sections = [];
  for (const name of [...packages].sort()) {
    const folder = join(root, 'node_modules', name);
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    const licence = typeof manifest.license === 'string' ? manifest.license : '';
    if (!ACCEPTED_LICENCES.has(licence))
      throw new Error(`${name} is licensed "${licence || 'unknown'}", not one the ${what} bundle accepts.`);
    const file = readdirSync(folder).find((f) => /^licen[cs]e/i.test(f));
    const text = file ? readFileSync(join(folder, file), 'utf8').trim() : `${licence} (no licence file in the package)`;
    sections.push(`${name}@${manifest.version} (${licence})\n\n${text}`);
  }
  return `The ${what} bundle contains these packages:\n\n${sections.join('\n\n---\n\n')}\n`;
}
