// The editor definitions (.html) must sit next to the compiled node (.js): Node-RED finds them by name.
import { cpSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const name of readdirSync(join(root, 'src/nodes')).filter((n) => n.endsWith('.html'))) {
  cpSync(join(root, 'src/nodes', name), join(root, 'dist/nodes', name));
}
