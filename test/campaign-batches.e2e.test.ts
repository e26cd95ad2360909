import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, type TestHub } from './support/harness.js';
import { tableCounts } from './support/plant.js';
import {
  type actAs,
  type demoPeople,
  draftOrder,
  LINE_1,
  mustAs,
  plannedWindow,
  R,
  signatureOf,
  startDemoWithPeople,
  startOnLine1,
} from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const run = promisify(execFile);
const BATCH = `mutation ($i: CompleteCampaignBatchInput!) { r: completeCampaignBatch(input: $i) { ${R}
  ... on CampaignBatch { sequence lotNumber } } }`;
const CLEAN = `mutation ($i: RecordCampaignCleaningInput!) { r: recordCampaignCleaning(input: $i) { ${R}
  ... on CampaignBatch { sequence cleaning cleanedBy } } }`;
const SPLIT = `mutation ($i: SplitBatchInput!) { r: splitBatch(input: $i) { ${R}
  ... on StepRecord { segment split { lotNumber quantity parts { lotNumber quantity } } } } }`;

/**
 * Issue 20's campaigns and splits as executed on the floor: each batch of a campaign runs every step
 * of the order with its own records and lot, the unit's signed cleaning between batches; a batch
 * split into lots by the operator at a step; genealogy both ways for each.
 */
describe.each(MODES)('campaign batches and splits at a step (%s)', (mode) => {
  let hub: TestHub;
  let as: ReturnType<typeof actAs>;
  let people: ReturnType<typeof demoPeople>;
  const dir = mkdtempSync(join(tmpdir(), 'plantgraph-campaign-'));
  beforeAll(async () => {
    ({ hub, as, people } = await startDemoWithPeople(mode));
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const must = (who: string, query: string, variables?: object) => mustAs(as)(who, query, variables);
  const startStep = (who: string, number: string) =>
    as.run(who, `mutation { r: startStep(number: "${number}") { ${R} ... on StepRecord { segment batch } } }`);
  const begin = (number: string) => startOnLine1(as, people, number);
  /** The bracket's three steps as its people run them; `at` runs inside a step before it completes. */
  const runSteps = async (number: string, coil: number, at: Record<string, () => Promise<void>> = {}) => {
    for (const [who, segment, parameter, value] of [
      ['ana', '10-stamp', 'pressure', 180 + coil],
      ['ana', '20-weld', 'current', 9.5],
      ['dana', '30-inspect', null, null],
    ] as const) {
      expect((await startStep(who, number)).r.segment).toBe(segment);
      if (segment === '10-stamp')
        await must(
          'ana',
          `mutation { r: consumeMaterial(number: "${number}", lotNumber: "L-COIL-0001", quantity: ${coil}) { ${R} } }`,
        );
      if (parameter)
        await must(
          who,
          `mutation { r: recordMeasurements(number: "${number}", measurements: [{ parameter: "${parameter}", value: ${value} }]) { ${R} } }`,
        );
      await at[segment]?.();
      await must(
        who,
        `mutation ($v: SignatureInput) { r: completeStep(number: "${number}", verification: $v) { ${R} } }`,
        { v: segment === '10-stamp' ? null : await signatureOf(people, 'chen', 'Verification') },
      );
    }
  };
  const release = async (number: string) => {
    await must('ana', `mutation { r: submitWorkOrderForReview(number: "${number}") { ${R} } }`);
    await must(
      'ines',
      `mutation ($s: SignatureInput!) { r: releaseWorkOrderToStock(number: "${number}", signature: $s) { ${R} } }`,
      { s: await signatureOf(people, 'ines', 'Approval') },
    );
  };

  it('runs a campaign of three batches, each through every step with its lot, the signed cleaning between them', async () => {
    const created = await as.run(
      'admin',
      `mutation ($i: CreateWorkOrderInput!) { r: createWorkOrder(input: $i) { ${R} ... on WorkOrder { campaignBatches } } }`,
      {
        i: {
          number: 'WO-CB-1',
          productDefinition: 'PD-BRACKET-A',
          quantity: 30,
          equipment: LINE_1,
          campaignBatches: 3,
          ...plannedWindow(31),
        },
      },
    );
    expect(created.r.campaignBatches).toBe(3);
    await begin('WO-CB-1');
    for (const n of [1, 2, 3]) {
      await runSteps('WO-CB-1', n, {
        // A batch is completed once it has run every step.
        '20-weld': async () =>
          expect(
            (await as.run('ana', BATCH, { i: { number: 'WO-CB-1', lotNumber: `L-CB-${n}`, quantity: 10 } })).r.message,
          ).toMatch(new RegExp(`batch ${n} has steps 20-weld, 30-inspect to complete first`)),
      });
      // The batch has run its steps: the next step is the next batch's, not a fourth one of this batch.
      expect((await startStep('ana', 'WO-CB-1')).r.message).toMatch(
        /batch \d has run every step.*completeCampaignBatch/,
      );
      expect(
        (await as.run('ana', BATCH, { i: { number: 'WO-CB-1', lotNumber: `L-CB-${n}`, quantity: 10 } })).r,
      ).toEqual({ __typename: 'CampaignBatch', sequence: n, lotNumber: `L-CB-${n}` });
      if (n === 3) break;
      // The unit is not cleaned yet: the next batch's first step is refused, and nothing is written.
      const before = await tableCounts(hub);
      expect((await startStep('ana', 'WO-CB-1')).r.message).toMatch(
        new RegExp(`not been cleaned since batch ${n} \\(lot L-CB-${n}\\).*recordCampaignCleaning`),
      );
      const unsigned = await as.run('ana', CLEAN, { i: { number: 'WO-CB-1', cleaning: 'CIP' } });
      expect(unsigned.r).toMatchObject({ code: 'InvalidInput', message: expect.stringMatching(/signed act/) });
      expect(await tableCounts(hub)).toEqual(before);
      const cleaning = `CIP after batch ${n} (SOP-CL-4)`;
      expect(
        (
          await as.run('ana', CLEAN, {
            i: { number: 'WO-CB-1', cleaning, signature: await signatureOf(people, 'ana', 'Responsibility') },
          })
        ).r,
      ).toEqual({ __typename: 'CampaignBatch', sequence: n, cleaning, cleanedBy: 'E1001' });
    }
    expect((await startStep('ana', 'WO-CB-1')).r.message).toMatch(/all 3 batches of WO-CB-1 are made/);
    const COMPLETE = (lot: string) =>
      `mutation { r: completeWorkOrder(number: "WO-CB-1", producedLotNumber: "${lot}", producedQuantity: 30) { ${R} ... on WorkOrder { state producedLot } } }`;
    expect((await as.run('ana', COMPLETE('L-CB-1'))).r.message).toMatch(/last batch's lot, L-CB-3/);
    expect((await as.run('ana', COMPLETE('L-CB-3'))).r).toMatchObject({ state: 'Completed', producedLot: 'L-CB-3' });
    // A correction names the batch whose step it corrects: each segment ran once per batch.
    const CORRECT = (batch: string) =>
      `mutation ($s: [SignatureInput!]!) { r: correctMeasurement(number: "WO-CB-1", segment: "10-stamp", parameter: "pressure",
        value: 180, reason: "transcription error"${batch}, signatures: $s) { ${R} ... on StepRecord { batch measurements { value } } } }`;
    const twoSigned = async () => ({
      s: [await signatureOf(people, 'chen', 'Review'), await signatureOf(people, 'ines', 'Approval')],
    });
    expect((await as.run('chen', CORRECT(''), await twoSigned())).r.message).toMatch(/campaign: name the batch/);
    expect((await as.run('chen', CORRECT(', batch: 2'), await twoSigned())).r).toEqual({
      __typename: 'StepRecord',
      batch: 2,
      measurements: [{ value: 180 }],
    });
    await release('WO-CB-1');

    const { o, coil, ...lots } = await as.run(
      'admin',
      `{ ${[1, 2, 3].map((n) => `b${n}: materialLot(lotNumber: "L-CB-${n}") { status genealogyInputs { lotNumber quantity } }`).join(' ')}
         o: workOrder(number: "WO-CB-1") { campaign { sequence lotNumber cleaning cleanedBy signatures { signer meaning act }
           steps { segment batch operator verifiedBy measurements { parameter value } } } }
         coil: materialLot(lotNumber: "L-COIL-0001") { genealogyOutputs { lotNumber quantity depth } } }`,
    );
    // Each batch ran every step with its own records and values.
    for (const [i, batch] of o.campaign.entries()) {
      const n = i + 1;
      expect(batch.steps).toEqual([
        {
          segment: '10-stamp',
          batch: n,
          operator: 'E1001',
          verifiedBy: null,
          measurements: [{ parameter: 'pressure', value: n === 2 ? 180 : 180 + n }],
        },
        {
          segment: '20-weld',
          batch: n,
          operator: 'E1001',
          verifiedBy: 'E1003',
          measurements: [{ parameter: 'current', value: 9.5 }],
        },
        { segment: '30-inspect', batch: n, operator: 'E2001', verifiedBy: 'E1003', measurements: [] },
      ]);
      expect(batch.signatures).toEqual(
        n < 3 ? [{ signer: 'E1001', meaning: 'Responsibility', act: 'CampaignCleaning' }] : [],
      );
      // Genealogy both ways, per batch: its inputs are what it consumed, and the coil lists it.
      expect(lots[`b${n}`]).toEqual({
        status: 'Released',
        genealogyInputs: [{ lotNumber: 'L-COIL-0001', quantity: n }],
      });
      expect(coil.genealogyOutputs).toContainEqual({ lotNumber: `L-CB-${n}`, quantity: n, depth: 1 });
    }
    expect(o.campaign.map((b: any) => [b.sequence, b.lotNumber, b.cleaning, b.cleanedBy])).toEqual([
      [1, 'L-CB-1', 'CIP after batch 1 (SOP-CL-4)', 'E1001'],
      [2, 'L-CB-2', 'CIP after batch 2 (SOP-CL-4)', 'E1001'],
      [3, 'L-CB-3', null, null],
    ]);

    // The batch record shows the batches, each execution's batch, and what went into which lot.
    const { r } = await as.run(
      'ines',
      `mutation { r: renderBatchRecord(number: "WO-CB-1") { ${R} ... on BatchRecordDocument { pdfBase64 } } }`,
    );
    const file = join(dir, 'campaign.pdf');
    writeFileSync(file, Buffer.from(r.pdfBase64, 'base64'));
    const flat = (await run('pdftotext', ['-layout', file, '-'])).stdout.replace(/\s+/g, ' ');
    for (const shown of [
      'Campaign batches',
      'Batch 1: lot L-CB-1, 10',
      'cleaning "CIP after batch 2 (SOP-CL-4)" by E1001',
      'Batch 3: lot L-CB-3, 10',
      'Batch 2: executed by E1001',
      'pressure = 183',
      'meaning Responsibility, CampaignCleaning on batch 1',
      'meaning Verification, StepVerification on step 20-weld of batch 3',
      'Consumed lot L-COIL-0001: 2 into L-CB-2',
    ])
      expect(flat).toContain(shown);
  }, 120_000);

  it('splits a batch into lots at a step, the parts summing to the batch, with genealogy both ways', async () => {
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-SPLIT-1', { window: 32 });
    await begin('WO-SPLIT-1');
    const parts = (a: number, b: number) => [
      { lotNumber: 'L-SPLIT-1A', quantity: a },
      { lotNumber: 'L-SPLIT-1B', quantity: b },
    ];
    const split = (who: string, p: object[]) =>
      as.run(who, SPLIT, { i: { number: 'WO-SPLIT-1', lotNumber: 'L-SPLIT-1', quantity: 10, parts: p } });
    await runSteps('WO-SPLIT-1', 4, {
      '30-inspect': async () => {
        // The split is the operator's, at their step.
        expect((await split('ana', parts(4, 6))).r.message).toMatch(/30-inspect is being executed by E2001/);
        const before = await tableCounts(hub);
        expect((await split('dana', parts(4, 5))).r).toMatchObject({
          code: 'InvalidInput',
          message: expect.stringMatching(/parts sum to 9 pcs and the batch is 10 pcs: add 1 pcs to the parts/),
        });
        expect((await split('dana', parts(4, 7))).r.message).toMatch(/take 1 pcs off the parts/);
        expect(await tableCounts(hub)).toEqual(before);
        expect((await split('dana', parts(4, 6))).r).toEqual({
          __typename: 'StepRecord',
          segment: '30-inspect',
          split: { lotNumber: 'L-SPLIT-1', quantity: 10, parts: parts(4, 6) },
        });
        expect((await split('dana', parts(5, 5))).r.message).toMatch(/split at 30-inspect already/);
      },
    });
    const COMPLETE = (lot: string, quantity: number) =>
      `mutation { r: completeWorkOrder(number: "WO-SPLIT-1", producedLotNumber: "${lot}", producedQuantity: ${quantity}) { ${R} ... on WorkOrder { state producedLot } } }`;
    expect((await as.run('ana', COMPLETE('L-OTHER', 10))).r.message).toMatch(/split at 30-inspect as lot L-SPLIT-1/);
    expect((await as.run('ana', COMPLETE('L-SPLIT-1', 9))).r.message).toMatch(/split at 30-inspect as 10/);
    expect((await as.run('ana', COMPLETE('L-SPLIT-1', 10))).r).toMatchObject({ state: 'Completed' });
    await release('WO-SPLIT-1');

    const trace = await as.run(
      'admin',
      `{ batch: materialLot(lotNumber: "L-SPLIT-1") { quantity genealogyInputs { lotNumber quantity depth }
           genealogyOutputs { lotNumber quantity depth } }
         part: materialLot(lotNumber: "L-SPLIT-1A") { quantity status genealogyInputs { lotNumber via quantity depth } }
         coil: materialLot(lotNumber: "L-COIL-0001") { genealogyOutputs { lotNumber via depth } }
         o: workOrder(number: "WO-SPLIT-1") { id steps { segment split { lotNumber } } } }`,
    );
    expect(trace.batch).toEqual({
      quantity: 0,
      genealogyInputs: [{ lotNumber: 'L-COIL-0001', quantity: 4, depth: 1 }],
      genealogyOutputs: expect.arrayContaining([
        { lotNumber: 'L-SPLIT-1A', quantity: 4, depth: 1 },
        { lotNumber: 'L-SPLIT-1B', quantity: 6, depth: 1 },
      ]),
    });
    expect(trace.part).toEqual({
      quantity: 4,
      status: 'Released',
      genealogyInputs: [
        { lotNumber: 'L-SPLIT-1', via: 'L-SPLIT-1A', quantity: 4, depth: 1 },
        { lotNumber: 'L-COIL-0001', via: 'L-SPLIT-1', quantity: 4, depth: 2 },
      ],
    });
    expect(trace.coil.genealogyOutputs).toEqual(
      expect.arrayContaining([
        { lotNumber: 'L-SPLIT-1', via: 'L-COIL-0001', depth: 1 },
        { lotNumber: 'L-SPLIT-1A', via: 'L-SPLIT-1', depth: 2 },
      ]),
    );
    expect(trace.o.steps.map((s: any) => s.split?.lotNumber ?? null)).toEqual([null, null, 'L-SPLIT-1']);
    const audit = await as.run(
      'admin',
      `{ auditTrail(entityType: "StepRecord", entityId: "${(await stepIds('WO-SPLIT-1'))[2]}") { edges { node { action actor after } } } }`,
    );
    expect(audit.auditTrail.edges.map((e: any) => e.node.action)).toContain('BatchSplit');
  }, 120_000);

  const stepIds = async (number: string) =>
    (await as.run('admin', `{ workOrder(number: "${number}") { steps { id } } }`)).workOrder.steps.map(
      (s: any) => s.id,
    );
});
