import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, MODES, type TestHub } from './support/harness.js';
import type { TestIdentityProvider } from './support/idp.js';
import {
  type actAs,
  type demoPeople,
  draftOrder,
  executeToReview,
  LINE_1_ASSIGNMENTS,
  R,
  RELEASE,
  signatureOf,
  startDemoWithPeople,
} from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../hub/dist/cli.js', import.meta.url));
const RENDER = `mutation ($n: String!) { r: renderBatchRecord(number: $n) { ${R}
  ... on BatchRecordDocument { number sha256 fileName contentType pdfBase64 } } }`;
const VERIFY = `query ($n: String!, $h: String!) { r: verifyBatchRecord(number: $n, sha256: $h) { ${R}
  ... on BatchRecordVerification { valid currentSha256 renderedBy message } } }`;

/** The CLI against the running hub as one of the demo's people; resolves with its exit code and output. */
async function cli(hub: TestHub, token: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run('node', [CLI, 'record', ...args], {
      env: { ...process.env, PLANTGRAPH_URL: hub.url, PLANTGRAPH_TOKEN: token },
      timeout: 60_000,
    });
    return { code: 0, out: stdout };
  } catch (err: any) {
    return { code: err.code, out: `${err.stdout}${err.stderr}` };
  }
}

/**
 * Issue 14's batch record as a document: WO-1001 of the demo executed and released to stock, then
 * rendered as PDF (read back with poppler's pdftotext and pdftoppm), its content hash verified
 * against the audit trail, a tampered hash refused, and a caller without scope over the order refused.
 */
describe.each(MODES)('the batch record document (%s)', (mode) => {
  let hub: TestHub;
  let idp: TestIdentityProvider;
  let people: ReturnType<typeof demoPeople>;
  let as: ReturnType<typeof actAs>;
  const dir = mkdtempSync(join(tmpdir(), 'plantgraph-record-'));
  beforeAll(async () => {
    ({ hub, idp, people, as } = await startDemoWithPeople(mode));
    await executeToReview(as, people, 'WO-1001', { lotNumber: 'L-BRK-0001', quantity: 480 });
    const released = await as.run(
      'ines',
      `mutation ($s: SignatureInput!) { r: releaseWorkOrderToStock(number: "WO-1001", signature: $s) { ${R} ... on WorkOrder { state } } }`,
      { s: await signatureOf(people, 'ines', 'Approval') },
    );
    expect(released.r).toEqual({ __typename: 'WorkOrder', state: 'ReleasedToStock' });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders the executed record from the snapshot with signatures, genealogy and audit, hashed and audited', async () => {
    const { r } = await as.run('ines', RENDER, { n: 'WO-1001' });
    expect(r).toMatchObject({
      __typename: 'BatchRecordDocument',
      number: 'WO-1001',
      fileName: 'batch-record-WO-1001.pdf',
      contentType: 'application/pdf',
    });
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    const file = join(dir, 'graphql.pdf');
    writeFileSync(file, Buffer.from(r.pdfBase64, 'base64'));
    const { stdout: text } = await run('pdftotext', ['-layout', file, '-']);
    const flat = text.replace(/\s+/g, ' ');
    for (const shown of [
      'Batch record WO-1001',
      'Quantity: 500',
      'acme/berlin/assembly/line-1',
      'State: ReleasedToStock',
      '10-stamp',
      '20-weld',
      '30-inspect',
      'pressure = 180',
      'current = 9.5',
      'Chen Li (E1003)',
      'meaning Responsibility, LineClearance on order',
      'meaning Verification, StepVerification on step 20-weld',
      'Ines Moreau (E2003)',
      'meaning Approval, ReleaseToStock on order',
      'Produced lot L-BRK-0001: 480',
      'WorkOrderReleased (order)',
      `Content SHA-256: ${r.sha256}`,
    ])
      expect(flat).toContain(shown);
    expect(flat).toContain('Limit pressure: target 180, 172 to 188 bar');
    expect(flat).not.toContain('OUT OF TOLERANCE');

    // Page 1 drawn to PNG: not blank (some pixels dark, most light).
    await run('pdftoppm', ['-png', '-r', '50', '-f', '1', '-l', '1', '-gray', file, join(dir, 'page')]);
    expect(readFileSync(join(dir, 'page-1.png')).subarray(1, 4).toString()).toBe('PNG');
    await run('pdftoppm', ['-r', '50', '-f', '1', '-l', '1', '-gray', file, join(dir, 'gray')]);
    const pgm = readFileSync(join(dir, 'gray-1.pgm'));
    const pixels = pgm.subarray(pgm.length - pixelCount(pgm));
    const dark = pixels.filter((p) => p < 128).length;
    expect(dark).toBeGreaterThan(500);
    expect(dark).toBeLessThan(pixels.length / 2);

    // The rendering is in the audit chain with its hash, and the chain still holds.
    const order = (await as.run('admin', '{ workOrder(number: "WO-1001") { id } }')).workOrder;
    const root = await idp.token({ sub: 'plant-root', roles: ['admin@*'] });
    const trail = await graphql(
      hub.url,
      `{ auditTrail(entityType: "WorkOrder", entityId: "${order.id}", first: 100) { edges { node { action actor after } } } verifyAuditChain { valid } }`,
      {},
      root,
    );
    const rendered = trail.auditTrail.edges
      .map((e: any) => e.node)
      .filter((n: any) => n.action === 'BatchRecordRendered');
    expect(rendered).toEqual([
      { action: 'BatchRecordRendered', actor: 'user:E2003', after: expect.objectContaining({ sha256: r.sha256 }) },
    ]);
    expect(trail.verifyAuditChain.valid).toBe(true);

    // The hash verifies; the same record renders to the same hash; a tampered hash does not verify.
    expect((await as.run('chen', VERIFY, { n: 'WO-1001', h: r.sha256 })).r).toMatchObject({ valid: true });
    // The live master record changing (here behind the hub's back) leaves the record as released.
    const em = hub.db.em.fork();
    await em.execute(
      `update product_definition_version set segments = replace(segments::text, '"lowerLimit": 172', '"lowerLimit": 100')::jsonb`,
    );
    const [changed] = await em.execute(
      `select count(*)::int as n from product_definition_version where segments::text like '%"lowerLimit": 100%'`,
    );
    expect(changed.n).toBeGreaterThan(0);
    const again = (await as.run('chen', RENDER, { n: 'WO-1001' })).r;
    expect(again.sha256).toBe(r.sha256);
    await em.execute(
      `update product_definition_version set segments = replace(segments::text, '"lowerLimit": 100', '"lowerLimit": 172')::jsonb`,
    );
    const tampered = `${r.sha256.slice(0, -1)}${r.sha256.endsWith('0') ? '1' : '0'}`;
    const refused = (await as.run('chen', VERIFY, { n: 'WO-1001', h: tampered })).r;
    expect(refused).toMatchObject({ valid: false, currentSha256: r.sha256 });
    expect(refused.message).toMatch(/no batch record of WO-1001 was rendered with this hash/);
  });

  it('renders and verifies through the CLI; a tampered file does not verify', async () => {
    const token = await people.dana!();
    const file = join(dir, 'cli.pdf');
    const rendered = await cli(hub, token, ['WO-1001', '--out', file]);
    expect(rendered.code, rendered.out).toBe(0);
    const sha256 = /sha256 ([0-9a-f]{64})/.exec(rendered.out)![1]!;
    const verified = await cli(hub, token, ['--verify', file]);
    expect(verified).toMatchObject({ code: 0 });
    expect(verified.out).toContain(`VALID: WO-1001 sha256 ${sha256}`);

    const pdf = readFileSync(file, 'latin1');
    const forged = join(dir, 'forged.pdf');
    writeFileSync(forged, pdf.replace(`(${sha256})`, `(${'f'.repeat(64)})`), 'latin1');
    const refused = await cli(hub, token, ['--verify', forged]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('NOT VALID');
  });

  it('marks a value out of tolerance and shows its deviation on a running order', async () => {
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-REC-2', { quantity: 100, window: 3 });
    const must = async (who: string, query: string, variables?: object) => {
      const answer = Object.values(await as.run(who, query, variables))[0] as { __typename: string };
      expect(['WorkOrder', 'StepRecord'], JSON.stringify(answer)).toContain(answer.__typename);
    };
    await must('chen', RELEASE, { i: { number: 'WO-REC-2', assignments: LINE_1_ASSIGNMENTS } });
    await must('ana', `mutation { r: startWorkOrder(input: { number: "WO-REC-2" }) { ${R} } }`);
    await must(
      'chen',
      `mutation ($s: SignatureInput) { r: confirmLineClearance(number: "WO-REC-2", signature: $s) { ${R} } }`,
      { s: await signatureOf(people, 'chen', 'Responsibility') },
    );
    await must('ana', `mutation { r: startStep(number: "WO-REC-2") { ${R} } }`);
    await must(
      'ana',
      `mutation { r: recordMeasurements(number: "WO-REC-2", measurements: [{ parameter: "pressure", value: 195 }]) { ${R} } }`,
    );
    const { r } = await as.run('ana', RENDER, { n: 'WO-REC-2' });
    expect(r.__typename).toBe('BatchRecordDocument');
    const file = join(dir, 'running.pdf');
    writeFileSync(file, Buffer.from(r.pdfBase64, 'base64'));
    const flat = (await run('pdftotext', [file, '-'])).stdout.replace(/\s+/g, ' ');
    expect(flat).toContain('State: InProgress');
    expect(flat).toContain('pressure = 195 (limits 172 to 188) OUT OF TOLERANCE');
    expect(flat).toMatch(/1\. OutOfTolerance \(\w+, Open\) at 10-stamp/);
    expect(flat).toContain('20-weld Weld');
    expect(flat).toContain('Not executed.');
    // A Draft order has no record yet.
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-REC-3', { window: 5 });
    expect((await as.run('chen', RENDER, { n: 'WO-REC-3' })).r).toMatchObject({ __typename: 'InvalidInput' });
  });

  it('refuses a caller without scope over the order as if it did not exist', async () => {
    for (const who of ['pia']) {
      expect((await as.run(who, RENDER, { n: 'WO-1001' })).r).toMatchObject({ __typename: 'NotFound' });
      expect((await as.run(who, VERIFY, { n: 'WO-1001', h: 'a'.repeat(64) })).r).toMatchObject({
        __typename: 'NotFound',
      });
    }
    const refused = await cli(hub, await people.pia!(), ['WO-1001', '--out', join(dir, 'pia.pdf')]);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/NotFound/);
  });
});

/** Width × height of a binary PGM (P5) image. */
function pixelCount(pgm: Buffer): number {
  const [, w, h] = /^P5\s+(\d+)\s+(\d+)\s+\d+\s/.exec(pgm.subarray(0, 40).toString('latin1'))!;
  return Number(w) * Number(h);
}
