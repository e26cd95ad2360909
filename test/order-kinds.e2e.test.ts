import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, subscribe, type TestHub } from './support/harness.js';
import { tableCounts } from './support/plant.js';
import {
  type actAs,
  type demoPeople,
  draftOrder,
  LINE_1,
  LINE_1_ASSIGNMENTS,
  plannedWindow,
  R,
  RELEASE,
  signatureOf,
  startDemoWithPeople,
} from './support/regulated.js';

const PRESS_1 = `${LINE_1}/press-1`;
const MO = `__typename ${R} ... on MaintenanceOrder { number kind state workDone signedOffBy nextCalibrationDueAt }`;
const EQUIPMENT = `query ($p: String!) { equipment(path: $p) { condition conditionBlocking conditionDueAt
  conditionRecords { recordedCondition externalReference dueAt kind } } }`;
const SEGMENT_FIELDS = `code name workInstruction equipmentClass qualification outsideEquipment critical durationMinutes
  materials { materialDefinition use quantity unitOfMeasure lotSelection }
  parameters { name target lowerLimit upperLimit unitOfMeasure }`;
const DECIDE = `mutation ($i: DecideEngineeringChangeInput!) { r: decideEngineeringChange(input: $i) { ${R}
  ... on AffectedOrder { decision decidedBy step operators deviation { kind state } } } }`;

/**
 * Order kinds and engineering changes (issue 20): maintenance orders that hold and lift the
 * equipment interlock, redlines that reach orders in flight without touching their snapshots,
 * campaigns of batches with their cleanings, splits, and a site's words for the records.
 */
describe.each(MODES)('order kinds (%s)', (mode) => {
  let hub: TestHub;
  let as: ReturnType<typeof actAs>;
  let people: ReturnType<typeof demoPeople>;
  beforeAll(async () => {
    ({ hub, as, people } = await startDemoWithPeople(mode));
  });
  afterAll(() => hub?.stop());

  const must = async (who: string, query: string, variables?: object) => {
    const data = await as.run(who, query, variables);
    const answer = Object.values(data)[0] as { __typename: string };
    if (answer.__typename === 'NotFound' || 'code' in answer) throw new Error(`${who}: ${JSON.stringify(answer)}`);
    return answer as any;
  };
  const equipment = async (path: string) => (await as.run('admin', EQUIPMENT, { p: path })).equipment;

  it('holds the interlock with an open calibration order and lifts it at a signed sign-off', async () => {
    const open = await as.run(
      'mia',
      `mutation ($i: OpenMaintenanceOrderInput!) { r: openMaintenanceOrder(input: $i) { ${MO} } }`,
      {
        i: { number: 'MO-CAL-1', kind: 'Calibration', equipment: PRESS_1, description: 'Load cell CAL-311' },
      },
    );
    expect(open.r).toMatchObject({ __typename: 'MaintenanceOrder', state: 'Open', kind: 'Calibration' });
    // The same record a CMMS calibration work order writes: CalibrationDue, due now, so it blocks.
    expect(await equipment(PRESS_1)).toMatchObject({
      condition: 'CalibrationOverdue',
      conditionBlocking: true,
      conditionRecords: [
        { kind: 'Calibration', recordedCondition: 'CalibrationDue', externalReference: 'maintenance-order:MO-CAL-1' },
      ],
    });
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-MO-1', { window: 1 });
    const before = await tableCounts(hub);
    const blocked = await as.run('chen', RELEASE, { i: { number: 'WO-MO-1', assignments: LINE_1_ASSIGNMENTS } });
    expect(blocked.r.problems).toEqual([
      expect.objectContaining({
        kind: 'EquipmentUnavailable',
        subject: PRESS_1,
        message: expect.stringMatching(/MO-CAL-1/),
      }),
    ]);
    expect(await tableCounts(hub)).toEqual(before);

    const move = (who: string, verb: string, reason?: string) =>
      as.run(
        who,
        `mutation ($i: MaintenanceOrderTransitionInput!) { r: ${verb}MaintenanceOrder(input: $i) { ${MO} } }`,
        {
          i: { number: 'MO-CAL-1', reason },
        },
      );
    expect((await move('mia', 'start')).r.state).toBe('InProgress');
    expect((await move('mia', 'complete')).r).toMatchObject({ code: 'InvalidInput' });
    expect((await move('mia', 'complete', 'Calibrated against reference 4711, certificate C-2026-118')).r.state).toBe(
      'Completed',
    );
    // Completed is not signed off: the interlock still holds.
    expect((await equipment(PRESS_1)).conditionBlocking).toBe(true);

    const next = new Date(Date.now() + 180 * 86_400_000).toISOString();
    const SIGN_OFF = `mutation ($i: SignOffMaintenanceOrderInput!) { r: signOffMaintenanceOrder(input: $i) { ${MO} } }`;
    const signOff = async (who: string, signer: string, meaning: string, nextDue: string | null) =>
      (
        await as.run(who, SIGN_OFF, {
          i: {
            number: 'MO-CAL-1',
            signature: await signatureOf(people, signer, meaning),
            nextCalibrationDueAt: nextDue,
          },
        })
      ).r;
    // Whoever did the work may not sign it off; a calibration takes the quality unit's Approval and a next due date.
    expect(
      (await as.raw('mia', SIGN_OFF, { i: { number: 'MO-CAL-1', signature: { token: 'x', meaning: 'Review' } } }))
        .errors[0].extensions.code,
    ).toBe('FORBIDDEN');
    expect(await signOff('chen', 'chen', 'Review', next)).toMatchObject({
      code: 'InvalidInput',
      message: expect.stringMatching(/signed with the meaning Approval/),
    });
    expect(await signOff('ines', 'ines', 'Approval', null)).toMatchObject({
      code: 'InvalidInput',
      message: expect.stringMatching(/next due date/),
    });
    expect((await equipment(PRESS_1)).conditionBlocking).toBe(true);
    expect(await signOff('ines', 'ines', 'Approval', next)).toMatchObject({
      state: 'SignedOff',
      signedOffBy: 'E2003',
      nextCalibrationDueAt: next,
    });
    // Lifted, and the next calibration recorded: a warning until it falls due.
    expect(await equipment(PRESS_1)).toMatchObject({
      condition: 'CalibrationDue',
      conditionBlocking: false,
      conditionDueAt: next,
      conditionRecords: [{ externalReference: 'maintenance-order:MO-CAL-1:next-due', dueAt: next }],
    });
    expect((await as.run('chen', RELEASE, { i: { number: 'WO-MO-1', assignments: LINE_1_ASSIGNMENTS } })).r.state).toBe(
      'Released',
    );
    const trail = await as.run(
      'admin',
      `{ maintenanceOrder(number: "MO-CAL-1") { id signatures { signer meaning act } } }`,
    );
    expect(trail.maintenanceOrder.signatures).toEqual([
      { signer: 'E2003', meaning: 'Approval', act: 'MaintenanceSignOff' },
    ]);
    const { auditTrail } = await as.run(
      'admin',
      `{ auditTrail(entityType: "MaintenanceOrder", entityId: "${trail.maintenanceOrder.id}") { edges { node { action } } } }`,
    );
    expect(auditTrail.edges.map((e: any) => e.node.action)).toEqual([
      'MaintenanceOrderOpened',
      'MaintenanceOrderStarted',
      'MaintenanceOrderCompleted',
      'MaintenanceOrderSignedOff',
    ]);
    await as.run(
      'chen',
      'mutation { cancelWorkOrder(input: { number: "WO-MO-1", reason: "test done" }) { __typename } }',
    );
  });

  it('holds a repair at once, a planned upkeep as a warning, and a new calibration replaces the due date before it', async () => {
    const OPEN = `mutation ($i: OpenMaintenanceOrderInput!) { r: openMaintenanceOrder(input: $i) { ${MO} ... on MaintenanceOrder { plannedStart } } }`;
    const WELDER_1 = `${LINE_1}/welder-1`;
    const window = plannedWindow(40);
    const planned = await as.run('mia', OPEN, {
      i: { number: 'MO-PM-1', kind: 'Preventive', equipment: WELDER_1, description: 'Electrode tips', ...window },
    });
    expect(planned.r).toMatchObject({ state: 'Open', plannedStart: window.plannedStart });
    expect(await equipment(WELDER_1)).toMatchObject({ condition: 'MaintenanceDue', conditionBlocking: false });
    const moveTo = (number: string, verb: string, reason?: string) =>
      as.run(
        'mia',
        `mutation ($i: MaintenanceOrderTransitionInput!) { r: ${verb}MaintenanceOrder(input: $i) { ${MO} } }`,
        {
          i: { number, reason },
        },
      );
    expect((await moveTo('MO-PM-1', 'start')).r.state).toBe('InProgress');
    expect(await equipment(WELDER_1)).toMatchObject({ condition: 'UnderMaintenance', conditionBlocking: true });
    expect((await moveTo('MO-PM-1', 'cancel', 'Tips still good')).r.state).toBe('Cancelled');
    expect(await equipment(WELDER_1)).toMatchObject({ condition: 'Available', conditionRecords: [] });
    expect((await moveTo('MO-PM-1', 'start')).r).toMatchObject({ code: 'InvalidTransition' });

    const repair = await as.run('mia', OPEN, {
      i: { number: 'MO-CM-1', kind: 'Corrective', equipment: WELDER_1, description: 'Cable cracked' },
    });
    expect(repair.r.state).toBe('Open');
    expect(await equipment(WELDER_1)).toMatchObject({ condition: 'UnderMaintenance', conditionBlocking: true });
    await moveTo('MO-CM-1', 'start');
    await moveTo('MO-CM-1', 'complete', 'Cable replaced');
    const reviewed = await as.run(
      'chen',
      `mutation ($i: SignOffMaintenanceOrderInput!) { r: signOffMaintenanceOrder(input: $i) { ${MO} } }`,
      { i: { number: 'MO-CM-1', signature: await signatureOf(people, 'chen', 'Review') } },
    );
    expect(reviewed.r).toMatchObject({ state: 'SignedOff', signedOffBy: 'E1003', nextCalibrationDueAt: null });
    expect(await equipment(WELDER_1)).toMatchObject({ condition: 'Available', conditionRecords: [] });

    // A second calibration of the press: its sign-off's due date replaces the first one's.
    await as.run('mia', OPEN, {
      i: { number: 'MO-CAL-2', kind: 'Calibration', equipment: PRESS_1, description: 'Re-check' },
    });
    expect((await equipment(PRESS_1)).conditionBlocking).toBe(true);
    await moveTo('MO-CAL-2', 'start');
    await moveTo('MO-CAL-2', 'complete', 'Within tolerance, certificate C-2026-131');
    const next = new Date(Date.now() + 365 * 86_400_000).toISOString();
    await as.run(
      'ines',
      `mutation ($i: SignOffMaintenanceOrderInput!) { r: signOffMaintenanceOrder(input: $i) { ${MO} } }`,
      {
        i: { number: 'MO-CAL-2', signature: await signatureOf(people, 'ines', 'Approval'), nextCalibrationDueAt: next },
      },
    );
    expect(await equipment(PRESS_1)).toMatchObject({
      condition: 'CalibrationDue',
      conditionBlocking: false,
      conditionDueAt: next,
      conditionRecords: [{ externalReference: 'maintenance-order:MO-CAL-2:next-due', dueAt: next }],
    });
  });

  it('tells the operators of orders in flight about an approved redline and lets a supervisor decide per order', async () => {
    const { productDefinition } = await as.run(
      'admin',
      `{ productDefinition(code: "PD-BRACKET-A") { activeVersion { id version segments { ${SEGMENT_FIELDS} } } } }`,
    );
    const active = productDefinition.activeVersion;
    // WO-RL-1 is past its first step; WO-RL-2 is released and not started.
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-RL-1', { window: 11 });
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-RL-2', { window: 12 });
    await must('chen', RELEASE, { i: { number: 'WO-RL-1', assignments: LINE_1_ASSIGNMENTS } });
    await must('chen', RELEASE, { i: { number: 'WO-RL-2', assignments: LINE_1_ASSIGNMENTS } });
    await must('ana', `mutation { r: startWorkOrder(input: { number: "WO-RL-1" }) { ${R} } }`);
    await must(
      'chen',
      `mutation ($s: SignatureInput) { r: confirmLineClearance(number: "WO-RL-1", signature: $s) { ${R} } }`,
      {
        s: await signatureOf(people, 'chen', 'Responsibility'),
      },
    );
    await must('ana', `mutation { r: startStep(number: "WO-RL-1") { ${R} } }`);
    await must(
      'ana',
      `mutation { r: recordMeasurements(number: "WO-RL-1", measurements: [{ parameter: "pressure", value: 180 }]) { ${R} } }`,
    );
    await must('ana', `mutation { r: completeStep(number: "WO-RL-1") { ${R} } }`);

    const segments = active.segments.map((s: any) =>
      s.code === '10-stamp' ? { ...s, parameters: [{ ...s.parameters[0], target: 182, lowerLimit: 176 }] } : s,
    );
    const PROPOSE = `mutation ($i: ProposeRedlineInput!) { r: proposeRedline(input: $i) { ${R} } }`;
    const same = { productDefinitionVersion: active.id, change: 'Nothing', reason: 'None', segments: active.segments };
    expect((await as.run('eng', PROPOSE, { i: same })).r.message).toMatch(/the redline changes nothing/);
    const proposed = await must(
      'eng',
      `mutation ($i: ProposeRedlineInput!) { r: proposeRedline(input: $i) { ${R} ... on Redline { id state proposedBy } } }`,
      {
        i: {
          productDefinitionVersion: active.id,
          change: 'Stamping pressure 182 bar (176–188)',
          reason: 'ECN-77: thicker coil',
          segments,
        },
      },
    );
    expect(proposed).toMatchObject({ state: 'Proposed', proposedBy: expect.stringContaining('N4001') });
    const feed = await subscribe(
      hub.url,
      'subscription ($s: String!) { workOrderChanged(scope: $s) { type number reason } }',
      { s: LINE_1 },
      await people.ana!(),
    );
    const APPROVE = `mutation ($i: ApproveRedlineInput!) { r: approveRedline(input: $i) { ${R}
      ... on Redline { state approvedBy resultingVersion { version state } affectedOrders { step operators decision workOrder { number } } } } }`;
    // Its author may not review it (separation of duties), and nothing changes.
    const before = await tableCounts(hub);
    const refused = await as.run('ines', APPROVE, {
      i: {
        id: proposed.id,
        signatures: [await signatureOf(people, 'eng', 'Review'), await signatureOf(people, 'ines', 'Approval')],
      },
    });
    expect(refused.r.code).toBe('InvalidInput');
    expect(await tableCounts(hub)).toEqual(before);
    const approved = await must('ines', APPROVE, {
      i: {
        id: proposed.id,
        signatures: [await signatureOf(people, 'dana', 'Review'), await signatureOf(people, 'ines', 'Approval')],
      },
    });
    expect(approved).toMatchObject({
      state: 'Approved',
      approvedBy: ['E2001', 'E2003'],
      resultingVersion: { version: active.version + 1, state: 'Active' },
      affectedOrders: [
        { workOrder: { number: 'WO-RL-1' }, step: '20-weld', operators: ['E1001'], decision: 'Pending' },
        { workOrder: { number: 'WO-RL-2' }, step: '10-stamp', operators: ['E1001'], decision: 'Pending' },
      ],
    });
    const told = await feed.waitFor(
      (e) =>
        e.data?.workOrderChanged.type === 'WorkOrderAffectedByEngineeringChange' &&
        e.data.workOrderChanged.number === 'WO-RL-1',
    );
    expect(told.data.workOrderChanged.reason).toMatch(
      /Stamping pressure 182 bar.*ECN-77.*Current step 20-weld; operators E1001/,
    );
    await feed.close();
    // On the floor: the next step waits for the supervisor.
    const held = await as.run('ana', `mutation { r: startStep(number: "WO-RL-1") { ${R} } }`);
    expect(held.r.message).toMatch(/engineering change .*Stamping pressure 182 bar.* awaits a supervisor's decision/);

    // A released order that has not started cannot be paused; it continues on its snapshot.
    const decide = (number: string, decision: string) =>
      as.run('chen', DECIDE, { i: { redline: proposed.id, number, decision, reason: `${decision} for ${number}` } });
    expect((await decide('WO-RL-2', 'PauseWithDeviation')).r.code).toBe('InvalidInput');
    expect((await decide('WO-RL-2', 'ContinueOnSnapshot')).r).toMatchObject({
      decision: 'ContinueOnSnapshot',
      deviation: null,
    });
    expect((await decide('WO-RL-1', 'PauseWithDeviation')).r).toMatchObject({
      decision: 'PauseWithDeviation',
      step: '20-weld',
      deviation: { kind: 'EngineeringChange', state: 'Open' },
    });
    expect((await decide('WO-RL-1', 'ContinueOnSnapshot')).r.code).toBe('InvalidInput');

    // Nothing changed either snapshot; a new order is made by the approved change.
    const orders = await as.run(
      'admin',
      `{ a: workOrder(number: "WO-RL-1") { state snapshot { version segments { parameters { target } } } engineeringChanges { decision } }
         b: workOrder(number: "WO-RL-2") { state snapshot { version segments { parameters { target } } } } }`,
    );
    expect(orders.a).toMatchObject({
      state: 'Paused',
      snapshot: { version: active.version },
      engineeringChanges: [{ decision: 'PauseWithDeviation' }],
    });
    expect(orders.a.snapshot.segments[0].parameters[0].target).toBe(180);
    expect(orders.b).toMatchObject({ state: 'Released', snapshot: { version: active.version } });
    expect(orders.b.snapshot.segments[0].parameters[0].target).toBe(180);
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-RL-3', { window: 13 });
    const fresh = await as.run('admin', '{ workOrder(number: "WO-RL-3") { productDefinitionVersion { version } } }');
    expect(fresh.workOrder.productDefinitionVersion.version).toBe(active.version + 1);
    // Decided: the order resumes and its next step starts.
    await must('ana', `mutation { r: resumeWorkOrder(input: { number: "WO-RL-1" }) { ${R} } }`);
    expect(
      (await as.run('ana', `mutation { r: startStep(number: "WO-RL-1") { ${R} ... on StepRecord { segment } } }`)).r,
    ).toEqual({
      __typename: 'StepRecord',
      segment: '20-weld',
    });
  });

  it('makes a campaign of three batches with cleanings between them, and splits a batch with genealogy both ways', async () => {
    const created = await as.run(
      'admin',
      `mutation ($i: CreateWorkOrderInput!) { r: createWorkOrder(input: $i) { ${R} ... on WorkOrder { campaignBatches } } }`,
      {
        i: {
          number: 'WO-CMP-2',
          productDefinition: 'PD-BRACKET-A',
          quantity: 30,
          equipment: LINE_1,
          campaignBatches: 3,
          ...plannedWindow(21),
        },
      },
    );
    expect(created.r.campaignBatches).toBe(3);
    await must('chen', RELEASE, { i: { number: 'WO-CMP-2', assignments: LINE_1_ASSIGNMENTS } });
    await must('ana', `mutation { r: startWorkOrder(input: { number: "WO-CMP-2" }) { ${R} } }`);
    await must(
      'chen',
      `mutation ($s: SignatureInput) { r: confirmLineClearance(number: "WO-CMP-2", signature: $s) { ${R} } }`,
      {
        s: await signatureOf(people, 'chen', 'Responsibility'),
      },
    );
    await must('ana', `mutation { r: startStep(number: "WO-CMP-2") { ${R} } }`);
    const BATCH = `mutation ($i: CompleteCampaignBatchInput!) { r: completeCampaignBatch(input: $i) { ${R} ... on CampaignBatch { sequence lotNumber } } }`;
    const CLEAN = `mutation ($i: RecordCampaignCleaningInput!) { r: recordCampaignCleaning(input: $i) { ${R} ... on CampaignBatch { sequence cleaning } } }`;
    for (const n of [1, 2, 3]) {
      await must(
        'ana',
        `mutation { r: consumeMaterial(number: "WO-CMP-2", lotNumber: "L-COIL-0001", quantity: ${n}) { ${R} } }`,
      );
      expect(
        (await as.run('ana', BATCH, { i: { number: 'WO-CMP-2', lotNumber: `L-CMP-${n}`, quantity: 10 } })).r,
      ).toEqual({
        __typename: 'CampaignBatch',
        sequence: n,
        lotNumber: `L-CMP-${n}`,
      });
      if (n === 1) {
        // The unit is not cleaned yet: the next batch waits.
        const early = await as.run('ana', BATCH, { i: { number: 'WO-CMP-2', lotNumber: 'L-CMP-X', quantity: 10 } });
        expect(early.r.message).toMatch(/not been cleaned since batch 1.*recordCampaignCleaning/);
      }
      if (n < 3)
        expect(
          (await as.run('ana', CLEAN, { i: { number: 'WO-CMP-2', cleaning: `CIP after batch ${n} (SOP-CL-4)` } })).r,
        ).toMatchObject({
          sequence: n,
          cleaning: `CIP after batch ${n} (SOP-CL-4)`,
        });
    }
    const lots = await as.run(
      'admin',
      `{ ${[1, 2, 3].map((n) => `b${n}: materialLot(lotNumber: "L-CMP-${n}") { status genealogyInputs { lotNumber quantity } }`).join(' ')}
         o: workOrder(number: "WO-CMP-2") { campaign { sequence lotNumber cleaning cleanedBy } }
         coil: materialLot(lotNumber: "L-COIL-0001") { genealogyOutputs { lotNumber depth } } }`,
    );
    // Each batch its own lot, its genealogy what was consumed for it.
    for (const n of [1, 2, 3])
      expect(lots[`b${n}`]).toEqual({
        status: 'Quarantine',
        genealogyInputs: [{ lotNumber: 'L-COIL-0001', quantity: n }],
      });
    // And the other way: the coil went into each batch.
    expect(lots.coil.genealogyOutputs).toEqual(
      expect.arrayContaining([1, 2, 3].map((n) => ({ lotNumber: `L-CMP-${n}`, depth: 1 }))),
    );
    expect(lots.o.campaign.map((b: any) => [b.sequence, b.lotNumber, b.cleaning])).toEqual([
      [1, 'L-CMP-1', 'CIP after batch 1 (SOP-CL-4)'],
      [2, 'L-CMP-2', 'CIP after batch 2 (SOP-CL-4)'],
      [3, 'L-CMP-3', null],
    ]);

    // The campaign completes naming its last batch; quality's release covers every batch's lot.
    const verify = async () => ({ v: await signatureOf(people, 'chen', 'Verification') });
    await must(
      'ana',
      `mutation { r: recordMeasurements(number: "WO-CMP-2", measurements: [{ parameter: "pressure", value: 180 }]) { ${R} } }`,
    );
    await must('ana', `mutation { r: completeStep(number: "WO-CMP-2") { ${R} } }`);
    for (const [who, parameter] of [
      ['ana', 'current'],
      ['dana', null],
    ] as const) {
      await must(who, `mutation { r: startStep(number: "WO-CMP-2") { ${R} } }`);
      if (parameter)
        await must(
          who,
          `mutation { r: recordMeasurements(number: "WO-CMP-2", measurements: [{ parameter: "current", value: 9.5 }]) { ${R} } }`,
        );
      await must(
        who,
        `mutation ($v: SignatureInput) { r: completeStep(number: "WO-CMP-2", verification: $v) { ${R} } }`,
        await verify(),
      );
    }
    const COMPLETE = (lot: string) =>
      `mutation { r: completeWorkOrder(number: "WO-CMP-2", producedLotNumber: "${lot}", producedQuantity: 30) { ${R} ... on WorkOrder { state producedLot } } }`;
    expect((await as.run('ana', COMPLETE('L-CMP-1'))).r.message).toMatch(/last batch's lot, L-CMP-3/);
    expect((await as.run('ana', COMPLETE('L-CMP-3'))).r).toMatchObject({ state: 'Completed', producedLot: 'L-CMP-3' });
    await must('ana', `mutation { r: submitWorkOrderForReview(number: "WO-CMP-2") { ${R} } }`);
    await must(
      'ines',
      `mutation ($s: SignatureInput!) { r: releaseWorkOrderToStock(number: "WO-CMP-2", signature: $s) { ${R} } }`,
      {
        s: await signatureOf(people, 'ines', 'Approval'),
      },
    );
    const released = await as.run(
      'admin',
      `{ ${[1, 2, 3].map((n) => `b${n}: materialLot(lotNumber: "L-CMP-${n}") { status }`).join(' ')} }`,
    );
    expect(Object.values(released)).toEqual([{ status: 'Released' }, { status: 'Released' }, { status: 'Released' }]);

    const SPLIT = `mutation ($i: SplitBatchInput!) { r: splitBatch(input: $i) { ${R} ... on MaterialLot { lotNumber quantity } } }`;
    const split = (parts: object[]) =>
      as.run('ana', SPLIT, { i: { number: 'WO-CMP-2', lotNumber: 'L-CMP-2', segment: '10-stamp', parts } });
    expect(
      (
        await split([
          { lotNumber: 'L-CMP-2A', quantity: 8 },
          { lotNumber: 'L-CMP-2B', quantity: 8 },
        ])
      ).r.code,
    ).toBe('InvalidInput');
    expect(
      (
        await split([
          { lotNumber: 'L-CMP-2A', quantity: 4 },
          { lotNumber: 'L-CMP-2B', quantity: 6 },
        ])
      ).r,
    ).toEqual({
      __typename: 'MaterialLot',
      lotNumber: 'L-CMP-2',
      quantity: 0,
    });
    const trace = await as.run(
      'admin',
      `{ batch: materialLot(lotNumber: "L-CMP-2") { genealogyOutputs { lotNumber quantity depth } }
         part: materialLot(lotNumber: "L-CMP-2A") { quantity status genealogyInputs { lotNumber via quantity depth } } }`,
    );
    expect(trace.batch.genealogyOutputs).toEqual(
      expect.arrayContaining([
        { lotNumber: 'L-CMP-2A', quantity: 4, depth: 1 },
        { lotNumber: 'L-CMP-2B', quantity: 6, depth: 1 },
      ]),
    );
    expect(trace.part).toEqual({
      quantity: 4,
      status: 'Released',
      genealogyInputs: [
        { lotNumber: 'L-CMP-2', via: 'L-CMP-2A', quantity: 4, depth: 1 },
        { lotNumber: 'L-COIL-0001', via: 'L-CMP-2', quantity: 2, depth: 2 },
      ],
    });
  });

  it("shows the site's words for the ISA-95 records, and keeps the schema's names", async () => {
    const SET = `mutation ($p: String!, $f: IndustryProfile) { r: setIndustryProfile(path: $p, profile: $f) { ${R} ... on Equipment { path } } }`;
    expect((await as.run('admin', SET, { p: LINE_1, f: 'Pharma' })).r.code).toBe('InvalidInput');
    expect((await as.run('admin', SET, { p: 'acme/berlin', f: 'Pharma' })).r.path).toBe('acme/berlin');
    const labels = await as.run(
      'ana',
      `{ displayLabels(path: "${LINE_1}") { profile workOrder productDefinition executedRecord } }`,
    );
    expect(labels.displayLabels).toEqual({
      profile: 'Pharma',
      workOrder: 'Manufacturing order',
      productDefinition: 'Master batch record',
      executedRecord: 'Batch record',
    });
    await as.run('admin', SET, { p: 'acme/berlin', f: 'Device' });
    expect(
      (await as.run('ana', `{ displayLabels(path: "${LINE_1}") { executedRecord } }`)).displayLabels.executedRecord,
    ).toBe('Device history record (DHR)');
  });
});
