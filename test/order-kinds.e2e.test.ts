import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, subscribe, type TestHub } from './support/harness.js';
import { tableCounts } from './support/plant.js';
import {
  type actAs,
  type demoPeople,
  draftOrder,
  LINE_1,
  LINE_1_ASSIGNMENTS,
  mustAs,
  plannedWindow,
  R,
  RELEASE,
  signatureOf,
  startDemoWithPeople,
} from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

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
 * equipment interlock, redlines that reach orders in flight without touching their snapshots, and
 * a site's words for the records (campaigns and splits: `campaign-batches.e2e.test.ts`).
 */
describe.each(MODES)('order kinds (%s)', (mode) => {
  let hub: TestHub;
  let as: ReturnType<typeof actAs>;
  let people: ReturnType<typeof demoPeople>;
  beforeAll(async () => {
    ({ hub, as, people } = await startDemoWithPeople(mode));
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  const must = (who: string, query: string, variables?: object) => mustAs(as)(who, query, variables);
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
