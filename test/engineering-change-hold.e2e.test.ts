import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, subscribe, type TestHub } from './support/harness.js';
import { tableCounts } from './support/plant.js';
import {
  type actAs,
  type demoPeople,
  draftOrder,
  LINE_1,
  mustAs,
  plannedWindow,
  R,
  runBracketSteps,
  signatureOf,
  startDemoWithPeople,
  startOnLine1,
} from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const SEGMENT_FIELDS = `code name workInstruction equipmentClass qualification outsideEquipment critical durationMinutes
  materials { materialDefinition use quantity unitOfMeasure lotSelection }
  parameters { name target lowerLimit upperLimit unitOfMeasure }`;
const STATION = `query ($n: String!) { workOrder(number: $n) { state currentStep { code }
  pendingEngineeringChanges { decision step redline { change } }
  steps { segment completedAt pendingEngineeringChanges { decision redline { change } } } } }`;

/**
 * Issue 20's engineering change on the floor: an approved redline shows on the operator's step in
 * work and holds what decides the batch (completing the step) but not recording what happened, until
 * a supervisor decides per order: continue on the snapshot (the step completes) or pause with a deviation.
 */
describe.each(MODES)('an engineering change held at the step in work (%s)', (mode) => {
  let hub: TestHub;
  let as: ReturnType<typeof actAs>;
  let people: ReturnType<typeof demoPeople>;
  beforeAll(async () => {
    ({ hub, as, people } = await startDemoWithPeople(mode));
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  const must = (who: string, query: string, variables?: object) => mustAs(as)(who, query, variables);
  const record = (number: string, value: number) =>
    as.run(
      'ana',
      `mutation { r: recordMeasurements(number: "${number}", measurements: [{ parameter: "pressure", value: ${value} }]) { ${R} ... on StepRecord { measurements { value } } } }`,
    );
  const completeStep = (number: string) => as.run('ana', `mutation { r: completeStep(number: "${number}") { ${R} } }`);
  const station = async (number: string) => (await as.run('ana', STATION, { n: number })).workOrder;

  it('shows a pending change on the step in work, holds its completion, and applies each decision', async () => {
    for (const [n, number] of ['WO-EC-1', 'WO-EC-2'].entries()) {
      await draftOrder((q, v) => as.run('admin', q, v), number, { window: 41 + n });
      await startOnLine1(as, people, number);
      await must('ana', `mutation { r: startStep(number: "${number}") { ${R} } }`);
    }
    // A campaign between batches: batch 1 made and the unit cleaned, batch 2 not started.
    await as.run('admin', `mutation ($i: CreateWorkOrderInput!) { r: createWorkOrder(input: $i) { ${R} } }`, {
      i: {
        number: 'WO-EC-3',
        productDefinition: 'PD-BRACKET-A',
        quantity: 20,
        equipment: LINE_1,
        campaignBatches: 2,
        ...plannedWindow(43),
      },
    });
    await startOnLine1(as, people, 'WO-EC-3');
    await runBracketSteps(as, people, 'WO-EC-3');
    await must(
      'ana',
      `mutation { r: completeCampaignBatch(input: { number: "WO-EC-3", lotNumber: "L-EC-3-1", quantity: 10 }) { ${R} } }`,
    );
    await must('ana', `mutation ($i: RecordCampaignCleaningInput!) { r: recordCampaignCleaning(input: $i) { ${R} } }`, {
      i: { number: 'WO-EC-3', cleaning: 'CIP', signature: await signatureOf(people, 'ana', 'Responsibility') },
    });
    const { productDefinition } = await as.run(
      'admin',
      `{ productDefinition(code: "PD-BRACKET-A") { activeVersion { id segments { ${SEGMENT_FIELDS} } } } }`,
    );
    const active = productDefinition.activeVersion;
    const segments = active.segments.map((s: any) =>
      s.code === '10-stamp' ? { ...s, parameters: [{ ...s.parameters[0], target: 182, lowerLimit: 176 }] } : s,
    );
    const proposed = await must(
      'eng',
      `mutation ($i: ProposeRedlineInput!) { r: proposeRedline(input: $i) { ${R} ... on Redline { id } } }`,
      { i: { productDefinitionVersion: active.id, change: 'Pressure 182 bar', reason: 'ECN-78', segments } },
    );
    const feed = await subscribe(
      hub.url,
      'subscription ($s: String!) { workOrderChanged(scope: $s) { type number reason } }',
      { s: LINE_1 },
      await people.ana!(),
    );
    const approved = await must(
      'ines',
      `mutation ($i: ApproveRedlineInput!) { r: approveRedline(input: $i) { ${R}
        ... on Redline { affectedOrders { step operators workOrder { number } } } } }`,
      {
        i: {
          id: proposed.id,
          signatures: [await signatureOf(people, 'dana', 'Review'), await signatureOf(people, 'ines', 'Approval')],
        },
      },
    );
    // The operator of each affected order is told through the subscription …
    for (const number of ['WO-EC-1', 'WO-EC-2']) {
      const told = await feed.waitFor(
        (e) =>
          e.data?.workOrderChanged.type === 'WorkOrderAffectedByEngineeringChange' &&
          e.data.workOrderChanged.number === number,
      );
      expect(told.data.workOrderChanged.reason).toMatch(
        /Pressure 182 bar.*ECN-78.*Current step 10-stamp; operators E1001/,
      );
    }
    await feed.close();
    // The campaign's step is that of its batch in work: batch 2 starts at 10-stamp.
    expect(approved.affectedOrders).toEqual([
      { workOrder: { number: 'WO-EC-1' }, step: '10-stamp', operators: ['E1001'] },
      { workOrder: { number: 'WO-EC-2' }, step: '10-stamp', operators: ['E1001'] },
      { workOrder: { number: 'WO-EC-3' }, step: '10-stamp', operators: ['E1001'] },
    ]);
    expect(await station('WO-EC-3')).toMatchObject({
      currentStep: { code: '10-stamp' },
      pendingEngineeringChanges: [{ decision: 'Pending', step: '10-stamp' }],
    });
    // … and on the step in work, where the station looks.
    const pending = [{ decision: 'Pending', redline: { change: 'Pressure 182 bar' } }];
    expect(await station('WO-EC-1')).toMatchObject({
      currentStep: { code: '10-stamp' },
      pendingEngineeringChanges: [{ decision: 'Pending', step: '10-stamp', redline: { change: 'Pressure 182 bar' } }],
      steps: [{ segment: '10-stamp', completedAt: null, pendingEngineeringChanges: pending }],
    });

    // What happened is still recorded; completing the step waits for the supervisor, and nothing is written.
    expect((await record('WO-EC-1', 181)).r).toEqual({ __typename: 'StepRecord', measurements: [{ value: 181 }] });
    expect((await record('WO-EC-2', 180)).r.__typename).toBe('StepRecord');
    const before = await tableCounts(hub);
    for (const number of ['WO-EC-1', 'WO-EC-2'])
      expect((await completeStep(number)).r.message).toMatch(
        /completing 10-stamp waits: an engineering change .*Pressure 182 bar.* awaits a supervisor's decision/,
      );
    expect(await tableCounts(hub)).toEqual(before);

    const DECIDE = `mutation ($i: DecideEngineeringChangeInput!) { r: decideEngineeringChange(input: $i) { ${R}
      ... on AffectedOrder { decision deviation { kind state } } } }`;
    const decide = (number: string, decision: string) =>
      as.run('chen', DECIDE, { i: { redline: proposed.id, number, decision, reason: `${decision} for ${number}` } });
    // Continue on the snapshot: the step completes as released, and the next one starts.
    expect((await decide('WO-EC-1', 'ContinueOnSnapshot')).r).toEqual({
      __typename: 'AffectedOrder',
      decision: 'ContinueOnSnapshot',
      deviation: null,
    });
    expect((await completeStep('WO-EC-1')).r.__typename).toBe('StepRecord');
    expect(await station('WO-EC-1')).toMatchObject({
      currentStep: { code: '20-weld' },
      pendingEngineeringChanges: [],
      steps: [{ segment: '10-stamp', pendingEngineeringChanges: [] }],
    });
    expect((await as.run('ana', `mutation { r: startStep(number: "WO-EC-1") { ${R} } }`)).r.__typename).toBe(
      'StepRecord',
    );
    // Pause with a deviation: the order stops; its step is neither recorded nor completed until it resumes.
    expect((await decide('WO-EC-2', 'PauseWithDeviation')).r).toEqual({
      __typename: 'AffectedOrder',
      decision: 'PauseWithDeviation',
      deviation: { kind: 'EngineeringChange', state: 'Open' },
    });
    expect(await station('WO-EC-2')).toMatchObject({ state: 'Paused', pendingEngineeringChanges: [] });
    expect((await record('WO-EC-2', 181)).r.message).toMatch(/WO-EC-2 is Paused/);
    expect((await completeStep('WO-EC-2')).r.message).toMatch(/WO-EC-2 is Paused/);
    await must('ana', `mutation { r: resumeWorkOrder(input: { number: "WO-EC-2" }) { ${R} } }`);
    expect((await completeStep('WO-EC-2')).r.__typename).toBe('StepRecord');
  }, 120_000);
});
