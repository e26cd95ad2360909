import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildHubSchema, InProcessBus } from '@plantgraph/hub';

const SDL = fileURLToPath(new URL('../schema/schema.graphql', import.meta.url));

describe('schema/schema.graphql', () => {
  it('is the SDL the hub serves (run `npm run schema:generate` after changing the model)', async () => {
    const served = `${printSchema(await buildHubSchema(new InProcessBus(), { check: true }))}\n`;
    expect(
      readFileSync(SDL, 'utf8'),
      'schema/schema.graphql is stale: run `npm run schema:generate` and commit it',
    ).toBe(served);
  });
});
