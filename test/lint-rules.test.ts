/**
 * The architecture rules in biome.jsonc are the point of linting here, so they are tested like code: each rule must
 * fail on a deliberate violation and stay quiet on the clean counterpart. The fixtures live in a temporary copy of
 * the lint configuration (same relative paths as the repository), never in the tree itself.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIOME = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');

interface Diagnostic {
  category: string;
  message: string;
  location: { path: string };
}

/** Lints `files` (repository-relative path → source) in a throwaway copy of the lint configuration. */
function lint(files: Record<string, string>): { status: number | null; diagnostics: Diagnostic[] } {
  const dir = mkdtempSync(join(tmpdir(), 'plantgraph-lint-'));
  try {
    cpSync(join(ROOT, 'biome.jsonc'), join(dir, 'biome.jsonc'));
    cpSync(join(ROOT, 'tools/lint'), join(dir, 'tools/lint'), { recursive: true });
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), source);
    }
    // No git repository in the copy, so no ignore file to read.
    const run = spawnSync(process.execPath, [BIOME, 'lint', '--vcs-enabled=false', '--reporter=json', '.'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (run.error) throw run.error;
    const report = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
    return { status: run.status, diagnostics: report.diagnostics };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "path rule" for each error, e.g. "hub/src/core/a.ts lint/suspicious/noImportCycles". */
const found = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.location.path} ${d.category}`).sort();

describe('architecture lint rules', () => {
  it('fails on an import cycle and on GraphQL in a service, naming the rules', () => {
    const { status, diagnostics } = lint({
      'hub/src/core/cycle-a.ts': "import { b } from './cycle-b.js';\nexport const a = (): number => b() + 1;\n",
      'hub/src/core/cycle-b.ts': "import { a } from './cycle-a.js';\nexport const b = (): number => a() - 1;\n",
      'hub/src/modules/line/line.service.ts':
        "import { GraphQLError } from 'graphql';\nexport const refuse = (): never => {\n  throw new GraphQLError('no');\n};\n",
    });
    expect(status).not.toBe(0);
    expect(found(diagnostics)).toEqual([
      'hub/src/core/cycle-a.ts lint/suspicious/noImportCycles',
      'hub/src/core/cycle-b.ts lint/suspicious/noImportCycles',
      'hub/src/modules/line/line.service.ts lint/style/noRestrictedImports',
    ]);
  });

  it('passes on the clean counterpart: one-way imports, GraphQL only in a resolver', () => {
    const { status, diagnostics } = lint({
      'hub/src/core/cycle-a.ts': "import { b } from './cycle-b.js';\nexport const a = (): number => b() + 1;\n",
      'hub/src/core/cycle-b.ts': 'export const b = (): number => 1;\n',
      'hub/src/modules/line/line.service.ts': "export const refuse = (): never => {\n  throw new Error('no');\n};\n",
      'hub/src/modules/line/line.resolver.ts':
        "import { GraphQLError } from 'graphql';\nexport const refuse = (): GraphQLError => new GraphQLError('no');\n",
    });
    expect(found(diagnostics)).toEqual([]);
    expect(status).toBe(0);
  });

  it('keeps the ORM out of resolvers and hub internals out of flows, and refuses explicit any', () => {
    const { status, diagnostics } = lint({
      'hub/src/modules/line/line.resolver.ts': [
        "import { EntityManager } from '@mikro-orm/core';",
        "import type { Tx } from '../../infrastructure/database/database.js';",
        'export const load = (ctx: { em: Tx }): unknown => [ctx.em.find(EntityManager, {}), EntityManager];',
        "// Handing the request's EntityManager to a service is allowed; querying it is not.",
        'export const pass = (ctx: { em: Tx; services: { read(em: Tx): unknown } }): unknown => ctx.services.read(ctx.em);',
        '',
      ].join('\n'),
      'flows/node-red/src/deep.ts': [
        "import { Subjects } from '@plantgraph/hub/dist/subjects.js';",
        "import { config } from '../../../hub/src/config.js';",
        'export const deep = [Subjects, config];',
        '',
      ].join('\n'),
      'hub/src/core/loose.ts': 'export const loose = (value: any): string => String(value);\n',
    });
    expect(status).not.toBe(0);
    expect(found(diagnostics)).toEqual([
      'flows/node-red/src/deep.ts lint/style/noRestrictedImports',
      'flows/node-red/src/deep.ts lint/style/noRestrictedImports',
      'hub/src/core/loose.ts lint/suspicious/noExplicitAny',
      'hub/src/modules/line/line.resolver.ts lint/style/noRestrictedImports',
      'hub/src/modules/line/line.resolver.ts lint/style/noRestrictedImports',
      'hub/src/modules/line/line.resolver.ts plugin',
    ]);
    expect(diagnostics.find((d) => d.category === 'plugin')?.message).toContain('no-em-in-resolvers');
  });
});
