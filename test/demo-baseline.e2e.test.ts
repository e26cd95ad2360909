import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoBaseline } from '@plantgraph/demo/dist/demo-baseline.js';
import { extensionBaselineOf } from '@plantgraph/hub/dist/infrastructure/database/database.js';
import { startTestHub, type TestHub } from './support/harness.js';

/**
 * `plantgraph start --demo` on a new embedded folder makes it from the build's demo baseline (the
 * demo plant seeded at build time, ADR 0049) and moves its times to the start's. The plant must be
 * the one seeding at start gives (what every test with `memory://` gets): the same records, times
 * relative to now the same within the build-to-start slack, and an audit chain that verifies.
 */
const PLANT = `{
  equipmentList(first: 100) { totalCount edges { node { path name level equipmentClass { code } createdAt } } }
  materialLots(first: 100) { edges { node { lotNumber quantity status expiresAt createdAt } } }
  workOrders(first: 100) { edges { node { number quantity state plannedStart plannedEnd stateChangedAt } } }
  persons(first: 100) { edges { node { employeeId name qualifications { code trainedAt expiresAt } } } }
  productDefinitions(first: 100) { edges { node { code name } } }
  verifyAuditChain { valid checked firstBrokenId }
}`;
/** Times: at most this far from the same time in a plant seeded at start (the two hubs start apart). */
const SLACK_MS = 120_000;

function compare(moved: unknown, seeded: unknown, path = ''): void {
  if (typeof moved === 'string' && /^\d{4}-\d\d-\d\dT/.test(moved) && typeof seeded === 'string') {
    expect(Math.abs(Date.parse(moved) - Date.parse(seeded)), `${path}: ${moved} vs ${seeded}`).toBeLessThan(SLACK_MS);
  } else if (moved && typeof moved === 'object') {
    expect(Object.keys(moved), path).toEqual(Object.keys(seeded as object));
    for (const [k, v] of Object.entries(moved)) compare(v, (seeded as Record<string, unknown>)[k], `${path}.${k}`);
  } else expect(moved, path).toEqual(seeded);
}

describe('the demo baseline', () => {
  const hubs: TestHub[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const hub of hubs) await hub.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('is built, and a new folder started with the demo is made from it with its times moved to now', async () => {
    expect(demoBaseline(), 'npm run build writes demo/dist/baseline').not.toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'plantgraph-demo-baseline-'));
    dirs.push(dir);
    const moved = await startTestHub('embedded', { demo: true, dataDir: join(dir, 'data') });
    hubs.push(moved);
    const seeded = await startTestHub('embedded', { demo: true });
    hubs.push(seeded);
    expect(extensionBaselineOf(moved.db), 'made from the demo baseline').not.toBeNull();
    const [a, b] = [await moved.gql(PLANT), await seeded.gql(PLANT)];
    expect(a.verifyAuditChain).toEqual({ valid: true, checked: b.verifyAuditChain.checked, firstBrokenId: null });
    expect(a.equipmentList.totalCount).toBe(20);
    // Every record as seeded at start, times within the slack; audit records in the same order.
    compare(a, b);
  });
});
