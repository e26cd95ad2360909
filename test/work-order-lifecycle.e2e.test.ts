import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, sleep, startTestHub, subscribe, type TestHub } from './support/harness.js';
import { activateVersion, RESULT, tableCounts } from './support/plant.js';
import { plannedWindow } from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const LINE_1 = 'acme/berlin/assembly/line-1';
const ASSIGN = [
  { segment: '10-stamp', equipment: `${LINE_1}/press-1`, operators: ['E1001'] },
  { segment: '20-weld', equipment: `${LINE_1}/welder-1`, operators: ['E1001'] },
  { segment: '30-inspect', equipment: 'acme/berlin/assembly/line-2/tester-1', operators: ['E2001'] },
];
const ORDER = `number state jobControlState stateReason snapshot { version segments { code parameters { name target lowerLimit upperLimit } } }
  reservations { segment quantity status lot { lotNumber } }`;
const TRANSITION = `__typename ${RESULT.replace('__typename ', '')} ... on WorkOrder { ${ORDER} }
  ... on InvalidTransition { currentState allowedStates } ... on ReleaseBlocked { problems { kind segment subject message } }`;

describe.each(MODES)('work-order lifecycle (%s)', (mode) => {
  let hub: TestHub;
  let serial = 0;
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  const newOrder = async (quantity = 100) => {
    const number = `WO-T${++serial}`;
    // Each order has its own planned window: orders overlapping on a unit cannot both be released.
    const { createWorkOrder } = await hub.gql(
      'mutation ($i: CreateWorkOrderInput!) { createWorkOrder(input: $i) { __typename } }',
      {
        i: { number, productDefinition: 'PD-BRACKET-A', quantity, equipment: LINE_1, ...plannedWindow(serial) },
      },
    );
    expect(createWorkOrder.__typename).toBe('WorkOrder');
    return number;
  };
  const release = async (number: string, assignments = ASSIGN) =>
    (
      await hub.gql(`mutation ($i: ReleaseWorkOrderInput!) { r: releaseWorkOrder(input: $i) { ${TRANSITION} } }`, {
        i: { number, assignments },
      })
    ).r;
  const move = async (verb: string, number: string, reason?: string) =>
    (
      await hub.gql(`mutation ($i: WorkOrderTransitionInput!) { r: ${verb}WorkOrder(input: $i) { ${TRANSITION} } }`, {
        i: { number, reason },
      })
    ).r;

  it('releases with a snapshot of the master record and reserves material by FEFO/FIFO', async () => {
    const number = await newOrder(500);
    const r = await release(number);
    expect(r).toMatchObject({ __typename: 'WorkOrder', state: 'Released', jobControlState: 'AllowedToStart' });
    expect(r.snapshot.version).toBe(1);
    expect(r.snapshot.segments.map((s: any) => s.code)).toEqual(['10-stamp', '20-weld', '30-inspect']);
    // 0.42 kg x 500 from the released coil (the other is on hold); 2 bolts x 500 from the unexpired lot.
    expect(r.reservations).toEqual([
      { segment: '10-stamp', quantity: 210, status: 'Reserved', lot: { lotNumber: 'L-COIL-0001' } },
      { segment: '20-weld', quantity: 1000, status: 'Reserved', lot: { lotNumber: 'L-BOLT-0107' } },
    ]);
  });

  it('cannot start, pause or complete an order that was never released (no release without a snapshot)', async () => {
    const number = await newOrder();
    const start = await move('start', number);
    expect(start).toMatchObject({
      __typename: 'InvalidTransition',
      currentState: 'Draft',
      allowedStates: ['Released', 'Cancelled'],
      message: `Work order ${number} is Draft and cannot become InProgress. Allowed next states: Released, Cancelled.`,
    });
    const { workOrder } = await hub.gql(
      `{ workOrder(number: "${number}") { state snapshot { version } jobControlState } }`,
    );
    expect(workOrder).toEqual({ state: 'Draft', snapshot: null, jobControlState: 'NotAllowedToStart' });
  });

  it('keeps an in-flight order on its snapshot when the master record is revised mid-run', async () => {
    const number = await newOrder();
    const stale = await newOrder(); // planned on version 1, not yet released
    await release(number);
    expect((await move('start', number)).state).toBe('InProgress');
    const { r: draft } = await hub.gql(
      `mutation { r: createProductDefinitionVersion(input: { productDefinition: "PD-BRACKET-A", changeNote: "new press" }) { ... on ProductDefinitionVersion { id segments { code name workInstruction equipmentClass outsideEquipment qualification critical durationMinutes materials { materialDefinition use quantity unitOfMeasure lotSelection } parameters { name target lowerLimit upperLimit unitOfMeasure } } } } }`,
    );
    const segments = draft.segments.map((s: any) =>
      s.code === '10-stamp'
        ? {
            ...s,
            parameters: [{ name: 'pressure', target: 220, lowerLimit: 210, upperLimit: 230, unitOfMeasure: 'bar' }],
          }
        : s,
    );
    await hub.gql(
      'mutation ($i: UpdateProductDefinitionVersionInput!) { updateProductDefinitionVersion(input: $i) { __typename } }',
      { i: { id: draft.id, segments } },
    );
    await activateVersion(hub, draft.id);
    const { workOrder } = await hub.gql(
      `{ workOrder(number: "${number}") { ${ORDER} productDefinitionVersion { version state } } }`,
    );
    expect(workOrder.snapshot.segments[0].parameters[0]).toEqual({
      name: 'pressure',
      target: 180,
      lowerLimit: 172,
      upperLimit: 188,
    });
    expect(workOrder.productDefinitionVersion).toEqual({ version: 1, state: 'Deprecated' });
    // A new order is made by the new version; the old one could not be released any more.
    await hub.gql('mutation ($i: CreateWorkOrderInput!) { createWorkOrder(input: $i) { __typename } }', {
      i: {
        number: 'WO-NEW-VERSION',
        productDefinition: 'PD-BRACKET-A',
        quantity: 1,
        equipment: LINE_1,
        ...plannedWindow(900),
      },
    });
    expect((await release('WO-NEW-VERSION')).snapshot.segments[0].parameters[0].target).toBe(220);
    const blocked = await release(stale);
    expect(blocked.problems.map((p: any) => p.kind)).toContain('MasterRecordNotCurrent');
  });

  it('blocks release for an operator without a current qualification, and changes nothing', async () => {
    const number = await newOrder();
    const before = await tableCounts(hub);
    const r = await release(number, [{ ...ASSIGN[0]!, operators: ['E1002'] }, ASSIGN[1]!, ASSIGN[2]!]);
    expect(r.__typename).toBe('ReleaseBlocked');
    expect(r.problems).toEqual([
      {
        kind: 'NotQualified',
        segment: '10-stamp',
        subject: 'E1002',
        message: expect.stringMatching(
          /needs qualification press-setup; E1002 whose training expired on \d{4}-\d{2}-\d{2}/,
        ),
      },
    ]);
    expect(await tableCounts(hub)).toEqual(before);
  });

  it('blocks release on calibration-due or wrongly classed equipment', async () => {
    const { r: calibration } = await hub.gql(
      `mutation { r: recordEquipmentCondition(input: { path: "${LINE_1}/press-1", condition: CalibrationDue, reason: "SCALE_CAL" }) { ... on EquipmentConditionRecord { id } } }`,
    );
    const number = await newOrder();
    const r = await release(number, [ASSIGN[0]!, { ...ASSIGN[1]!, equipment: `${LINE_1}/robot-1` }, ASSIGN[2]!]);
    expect(r.problems).toEqual([
      {
        kind: 'EquipmentUnavailable',
        segment: '10-stamp',
        subject: `${LINE_1}/press-1`,
        message: expect.stringMatching(
          /^Segment 10-stamp: .*press-1 is CalibrationOverdue \(SCALE_CAL; recorded by .*\); maintenance must clear it first\.$/,
        ),
      },
      {
        kind: 'WrongEquipmentClass',
        segment: '20-weld',
        subject: `${LINE_1}/robot-1`,
        message: `Segment 20-weld needs a spot-welder; ${LINE_1}/robot-1 is robot.`,
      },
    ]);
    await hub.gql(
      `mutation { clearEquipmentCondition(input: { id: "${calibration.id}", clearance: "calibrated" }) { __typename } }`,
    );
    expect((await hub.gql(`{ workOrder(number: "${number}") { state } }`)).workOrder.state).toBe('Draft');
  });

  it('blocks release when material is short, naming the lots it could not use', async () => {
    const number = await newOrder(1_000_000);
    const r = await release(number);
    expect(r.problems.map((p: any) => [p.kind, p.subject])).toEqual([
      ['MaterialShort', 'STEEL-COIL-2MM'],
      ['MaterialShort', 'BOLT-M8'],
    ]);
    expect(r.problems[0].message).toMatch(/not usable: L-COIL-0002 \(OnHold\)/);
    expect(r.problems[1].message).toMatch(/not usable: L-BOLT-0099 \(expired\)/);
  });

  it('returns every reservation on cancel, so the quantity is free again', async () => {
    const big = await newOrder(7000); // 2940 kg of the 5200 kg coil: two such orders cannot both be held
    const first = await release(big);
    expect(first.state).toBe('Released');
    const other = await newOrder(7000);
    expect((await release(other)).problems?.[0]?.kind).toBe('MaterialShort');
    const noReason = await move('cancel', big);
    expect(noReason).toMatchObject({ __typename: 'InvalidInput', message: 'reason: say why the order is cancelled.' });
    const cancelled = await move('cancel', big, 'customer withdrew the order');
    expect(cancelled).toMatchObject({
      state: 'Cancelled',
      jobControlState: 'Aborted',
      stateReason: 'customer withdrew the order',
    });
    expect(cancelled.reservations.every((r: any) => r.status === 'Returned')).toBe(true);
    expect((await release(other)).state).toBe('Released');
  });

  it('pauses with a reason, resumes, and tells subscribers of its line', async () => {
    const line = await subscribe(
      hub.url,
      'subscription { workOrderChanged(scope: "acme/berlin/assembly/line-1") { type number state previousState reason actor } }',
      undefined,
      hub.localAdminToken,
    );
    const other = await subscribe(
      hub.url,
      'subscription { workOrderChanged(scope: "acme/berlin/packaging") { number } }',
      undefined,
      hub.localAdminToken,
    );
    const number = await newOrder();
    await release(number);
    await move('start', number);
    expect(await move('pause', number)).toMatchObject({ __typename: 'InvalidInput' });
    expect(await move('pause', number, 'waiting for coil')).toMatchObject({
      state: 'Paused',
      jobControlState: 'Interrupted',
    });
    expect(await move('resume', number)).toMatchObject({ state: 'InProgress', jobControlState: 'Running' });
    await line.waitFor((e) => e.data.workOrderChanged.type === 'WorkOrderResumed');
    // Only this order's events: one committed by an earlier test may still be on its way when this subscribes.
    const ours = line.received.filter((e) => e.data.workOrderChanged.number === number);
    expect(ours.map((e) => [e.data.workOrderChanged.type, e.data.workOrderChanged.state])).toEqual([
      ['WorkOrderCreated', 'Draft'],
      ['WorkOrderReleased', 'Released'],
      ['WorkOrderStarted', 'InProgress'],
      ['WorkOrderPaused', 'Paused'],
      ['WorkOrderResumed', 'InProgress'],
    ]);
    expect(ours[3].data.workOrderChanged).toMatchObject({
      reason: 'waiting for coil',
      actor: 'api-key:local-admin',
      previousState: 'InProgress',
    });
    await sleep(200);
    expect(other.received).toEqual([]);
    await Promise.all([line.close(), other.close()]);
    const { verifyAuditChain } = await hub.gql('{ verifyAuditChain { valid } }');
    expect(verifyAuditChain.valid).toBe(true);
  });
});
