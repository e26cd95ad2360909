import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  deleteNatsNamespace,
  graphql,
  MODES,
  TEST_NATS_URL,
  uniqueName,
} from './support/harness.js';
import { type HubProcess, spawnHub } from './support/process.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));

/** The shell walk between the README's demo-walk markers, exactly as a newcomer copies it. */
function walkFromReadme(): string {
  const text = readFileSync(README, 'utf8');
  const block = /<!-- demo-walk:start -->\n```sh\n([\s\S]*?)\n```\n<!-- demo-walk:end -->/.exec(text);
  if (!block) throw new Error('README.md has no demo-walk block between its markers');
  return block[1]!;
}

/**
 * Issue 14's newcomer: `plantgraph start --demo`, the password it prints, and the README's walk of
 * WO-1001 from Draft to ReleasedToStock with two-person signatures, run by bash with curl and jq.
 * The machine simulator is off (PLANTGRAPH_SIMULATOR_INTERVAL_MS=0) so that no random Maintenance
 * blocks the release; the flows are off, as they play no part in it.
 */
describe.each(MODES)('the README demo walk (%s)', (mode) => {
  let hub: HubProcess;
  let cleanup: () => Promise<void> = async () => {};
  let output = '';

  beforeAll(async () => {
    const env: Record<string, string> = { PLANTGRAPH_FLOWS: 'off', PLANTGRAPH_SIMULATOR_INTERVAL_MS: '0' };
    if (mode === 'embedded') {
      const dir = mkdtempSync(join(tmpdir(), 'plantgraph-walk-'));
      env.PLANTGRAPH_DATA_DIR = join(dir, 'data');
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    } else {
      const database = await createTestDatabase();
      const namespace = uniqueName('walk');
      Object.assign(env, { DATABASE_URL: database.url, NATS_URL: TEST_NATS_URL, PLANTGRAPH_NATS_NAMESPACE: namespace });
      cleanup = async () => {
        await database.drop();
        await deleteNatsNamespace(namespace);
      };
    }
    hub = await spawnHub(env, ['--demo'], { readyWithinMs: 90_000 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await cleanup();
  });

  it('takes WO-1001 from Draft to ReleasedToStock with the signatures shown on the record', async () => {
    const password = /with the password (\S+)/.exec(hub.output())?.[1];
    expect(password, 'the hub prints the development sign-in password').toBeDefined();
    const run = await promisify(execFile)('bash', ['-c', walkFromReadme()], {
      env: { PATH: process.env.PATH ?? '', HUB: hub.url, PASSWORD: password! },
      timeout: 120_000,
    });
    output = run.stdout;
    const answers = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { data?: Record<string, any>; errors?: unknown });
    expect(answers).toHaveLength(17);
    for (const answer of answers) {
      expect(answer.errors).toBeUndefined();
      for (const value of Object.values(answer.data!)) expect(value.message, JSON.stringify(value)).toBeUndefined();
    }

    const record = answers.at(-1)!.data!.workOrder;
    expect(record.state).toBe('ReleasedToStock');
    const shown = (s: any) => [s.printedName, s.meaning, s.act, Number.isNaN(Date.parse(s.signedAt))];
    expect(record.signatures.map(shown)).toEqual([
      ['Chen Li', 'Responsibility', 'LineClearance', false],
      ['Ines Moreau', 'Approval', 'ReleaseToStock', false],
    ]);
    expect(record.steps.map((s: any) => [s.segment, s.operator, s.signatures.map(shown)])).toEqual([
      ['10-stamp', 'E1001', []],
      ['20-weld', 'E1001', [['Chen Li', 'Verification', 'StepVerification', false]]],
      ['30-inspect', 'E2001', [['Ana Ruiz', 'Verification', 'StepVerification', false]]],
    ]);

    // What the walk left behind, read with the admin token the hub printed.
    const after = await graphql(
      hub.url,
      '{ materialLot(lotNumber: "L-BRK-0001") { status genealogyLockedAt } verifyAuditChain { valid } }',
      {},
      hub.token!,
    );
    expect(after.materialLot.status).toBe('Released');
    expect(after.materialLot.genealogyLockedAt).not.toBeNull();
    expect(after.verifyAuditChain.valid).toBe(true);
  });
});
