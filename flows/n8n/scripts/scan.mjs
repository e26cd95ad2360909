#!/usr/bin/env node
// n8n's community-package scanner on this package before it is published (`npm run scan`). The scanner's
// CLI fetches a published version from the registry; this runs its own analysis on the same two legs:
// the sources (nodes/ and credentials/ with package.json) and the packed tarball (compiled .js and
// package.json), as `npx @n8n/scan-community-package n8n-nodes-plantgraph` does after publishing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'pg-n8n-scan-'));
const run = (cmd, args, cwd) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
};
try {
  run('npm', ['pack', '--pack-destination', work], PACKAGE);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  const unpacked = join(work, 'package');
  mkdirSync(unpacked);
  run('tar', ['-xzf', join(work, tarball), '-C', unpacked, '--strip-components=1'], work);
  let passed = true;
  for (const [leg, dir, patterns] of [
    ['sources', PACKAGE, SOURCE_FILE_PATTERNS],
    ['tarball', unpacked, ['**/*.js', 'package.json']],
  ]) {
    const result = await analyzePackage(dir, patterns);
    console.log(
      `${result.passed ? '✅' : '❌'} ${leg}${result.passed ? '' : `: ${result.message}\n${result.details}`}`,
    );
    passed &&= result.passed;
  }
  process.exitCode = passed ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
