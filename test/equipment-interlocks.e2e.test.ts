import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, sleep, subscribe, type TestHub } from './support/harness.js';
import type { TestIdentityProvider } from './support/idp.js';
import { tableCounts } from './support/plant.js';
import {
  type actAs,
  demoPeople,
  draftOrder,
  LINE_1,
  LINE_1_ASSIGNMENTS,
  R,
  RELEASE,
  signatureOf,
  startDemoWithPeople,
} from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const PRESS_1 = `${LINE_1}/press-1`;
const WELDER_1 = `${LINE_1}/welder-1`;
const RECORD = `mutation ($i: RecordEquipmentConditionInput!) { r: recordEquipmentCondition(input: $i) { ${R}
  ... on EquipmentConditionRecord { id kind condition recordedCondition blocking reason dueAt recordedBy clearedBy clearance } } }`;
const CLEAR = `mutation ($i: ClearEquipmentConditionInput!) { r: clearEquipmentCondition(input: $i) { ${R}
  ... on EquipmentConditionRecord { id condition blocking clearedBy clearedAt clearance } } }`;
const EQUIPMENT = `query ($p: String!) { equipment(path: $p) { state condition conditionBlocking conditionReason
  conditionSetBy conditionSince conditionRecords { id condition } } }`;
const CHANGES = `subscription ($s: String!) { equipmentConditionChanged(scope: $s) {
  type path condition previousCondition blocking recordId reason actor cursor } }`;

/**
 * Maintenance and calibration hold equipment in a condition that only an authorised person or
 * connector clears: no machine signal (ingest, setEquipmentState) lifts it, and release and step
 * start refuse the equipment while it blocks (issue 14, ADR 0016).
 */
describe.each(MODES)('equipment interlocks (%s)', (mode) => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  let as: ReturnType<typeof actAs>;
  let people: ReturnType<typeof demoPeople>;
  beforeAll(async () => {
    ({ idp, hub, as, people } = await startDemoWithPeople(mode, { equipmentConditionCheckMs: 200 }));
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  const equipment = async (path: string) => (await as.run('admin', EQUIPMENT, { p: path })).equipment;
  const signal = (path: string, body: object, id: string) =>
    hub.bus.publishSignal(hub.bus.subjects.equipmentSignal('state', path), Buffer.from(JSON.stringify(body)), id);
  const until = async (check: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('holds a calibration interlock that no machine signal lifts, and release refuses the equipment', async () => {
    const changes = await subscribe(hub.url, CHANGES, { s: LINE_1 }, await demoPeople(idp).admin!());
    const { r: recorded } = await as.run('mia', RECORD, {
      i: { path: PRESS_1, condition: 'CalibrationDue', reason: 'Load cell drifted: recalibrate (CAL-311)' },
    });
    // Due at once (no date given): it holds CalibrationOverdue, which blocks.
    expect(recorded).toMatchObject({
      __typename: 'EquipmentConditionRecord',
      kind: 'Calibration',
      recordedCondition: 'CalibrationDue',
      condition: 'CalibrationOverdue',
      blocking: true,
      recordedBy: expect.stringContaining('M3001'),
      clearedBy: null,
    });
    expect(
      await changes.waitFor((e) => e.data?.equipmentConditionChanged.type === 'EquipmentConditionRecorded'),
    ).toMatchObject({
      data: {
        equipmentConditionChanged: {
          path: PRESS_1,
          condition: 'CalibrationOverdue',
          previousCondition: 'Available',
          blocking: true,
          recordId: recorded.id,
          reason: 'Load cell drifted: recalibrate (CAL-311)',
          cursor: expect.any(String),
        },
      },
    });

    // The machine reports Running (through the ingest), a supervisor sets Idle by hand: the run
    // state follows, the condition does not.
    await signal(PRESS_1, { state: 'Running', source: 'plc-press-1', sequence: 1 }, 'plc-press-1:1');
    await until(async () => (await equipment(PRESS_1)).state === 'Running', 'the Running signal');
    const set = await as.run(
      'chen',
      `mutation { r: setEquipmentState(input: { path: "${PRESS_1}", state: Idle }) { ${R} ... on Equipment { state } } }`,
    );
    expect(set.r).toEqual({ __typename: 'Equipment', state: 'Idle' });
    expect(await equipment(PRESS_1)).toMatchObject({
      state: 'Idle',
      condition: 'CalibrationOverdue',
      conditionBlocking: true,
      conditionReason: 'Load cell drifted: recalibrate (CAL-311)',
      conditionSetBy: expect.stringContaining('M3001'),
      conditionSince: expect.any(String),
      conditionRecords: [{ id: recorded.id, condition: 'CalibrationOverdue' }],
    });
    // A gateway's signal through GraphQL (a supervisor holds SetEquipmentState) moves the run state only.
    const published = await as.run(
      'chen',
      `mutation ($s: [EquipmentSignalInput!]!) { r: publishSignals(signals: $s) { ${R} ... on SignalsPublished { accepted } } }`,
      { s: [{ kind: 'State', path: PRESS_1, source: 'gateway-press-1', sequence: 1, state: 'Running' }] },
    );
    expect(published.r).toEqual({ __typename: 'SignalsPublished', accepted: 1 });
    await until(async () => (await equipment(PRESS_1)).state === 'Running', 'the Running signal through GraphQL');
    expect(await equipment(PRESS_1)).toMatchObject({
      condition: 'CalibrationOverdue',
      conditionBlocking: true,
      conditionRecords: [{ id: recorded.id, condition: 'CalibrationOverdue' }],
    });
    // Idle again, as the next test expects to see its own Running signal arrive.
    await as.run(
      'chen',
      `mutation { r: setEquipmentState(input: { path: "${PRESS_1}", state: Idle }) { __typename } }`,
    );
    // A signal naming the old run state is dead-lettered, saying why.
    const rejected = hub.bus.subscribe([hub.bus.subjects.signalRejected]);
    await sleep(100);
    await signal(PRESS_1, { state: 'CalibrationDue', source: 'plc-press-1', sequence: 2 }, 'plc-press-1:2');
    const dead = (await rejected.next()).value.data as { reason: string };
    rejected.close();
    expect(dead.reason).toMatch(
      /CalibrationDue is no run state: calibration and maintenance are the equipment condition/,
    );

    await draftOrder((q, v) => as.run('admin', q, v), 'WO-IL-1', { window: 1 });
    const before = await tableCounts(hub);
    const { r: blocked } = await as.run('chen', RELEASE, { i: { number: 'WO-IL-1', assignments: LINE_1_ASSIGNMENTS } });
    expect(blocked.__typename).toBe('ReleaseBlocked');
    expect(blocked.problems).toEqual([
      {
        kind: 'EquipmentUnavailable',
        segment: '10-stamp',
        subject: PRESS_1,
        message: expect.stringMatching(
          /^Segment 10-stamp: .*press-1 is CalibrationOverdue \(Load cell drifted: recalibrate \(CAL-311\); recorded by .*M3001.* since .*\); maintenance must clear it first\.$/,
        ),
      },
    ]);
    expect(await tableCounts(hub)).toEqual(before);
    expect((await as.run('admin', '{ workOrder(number: "WO-IL-1") { state } }')).workOrder.state).toBe('Draft');

    // Only an authorised person (or connector) clears it: not a supervisor, not an engineer.
    for (const who of ['chen', 'eng']) {
      const denied = await as.raw(who, CLEAR, { i: { id: recorded.id, clearance: 'looks fine to me' } });
      expect(denied.errors[0]).toMatchObject({
        message: expect.stringMatching(
          /not allowed to use Mutation.clearEquipmentCondition \(needs MaintainEquipment\)/,
        ),
        extensions: { code: 'FORBIDDEN' },
      });
    }
    expect((await equipment(PRESS_1)).condition).toBe('CalibrationOverdue');
    expect(await tableCounts(hub)).toEqual(before);

    const { r: cleared } = await as.run('mia', CLEAR, {
      i: { id: recorded.id, clearance: 'Calibrated against reference 4711, certificate C-2026-118' },
    });
    expect(cleared).toMatchObject({
      condition: 'Available',
      blocking: false,
      clearedBy: expect.stringContaining('M3001'),
      clearance: 'Calibrated against reference 4711, certificate C-2026-118',
    });
    expect(
      await changes.waitFor((e) => e.data?.equipmentConditionChanged.type === 'EquipmentConditionCleared'),
    ).toMatchObject({
      data: {
        equipmentConditionChanged: { condition: 'Available', previousCondition: 'CalibrationOverdue', blocking: false },
      },
    });
    await changes.close();
    expect((await as.run('chen', RELEASE, { i: { number: 'WO-IL-1', assignments: LINE_1_ASSIGNMENTS } })).r.state).toBe(
      'Released',
    );
    // Who, why and when are in the audit trail.
    const { auditTrail } = await as.run(
      'admin',
      `{ auditTrail(entityType: "EquipmentConditionRecord", entityId: "${recorded.id}") { edges { node { action actor reason } } } }`,
    );
    expect(auditTrail.edges.map((e: any) => e.node)).toEqual([
      {
        action: 'EquipmentConditionRecorded',
        actor: expect.stringContaining('M3001'),
        reason: 'Load cell drifted: recalibrate (CAL-311)',
      },
      {
        action: 'EquipmentConditionCleared',
        actor: expect.stringContaining('M3001'),
        reason: 'Calibrated against reference 4711, certificate C-2026-118',
      },
    ]);
    await as.run(
      'chen',
      'mutation { cancelWorkOrder(input: { number: "WO-IL-1", reason: "test done" }) { __typename } }',
    );
  });

  it('refuses to start a step on equipment under maintenance until maintenance clears it', async () => {
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-IL-2', { window: 2 });
    expect((await as.run('chen', RELEASE, { i: { number: 'WO-IL-2', assignments: LINE_1_ASSIGNMENTS } })).r.state).toBe(
      'Released',
    );
    await as.run('ana', 'mutation { startWorkOrder(input: { number: "WO-IL-2" }) { __typename } }');
    await as.run(
      'chen',
      'mutation ($s: SignatureInput) { confirmLineClearance(number: "WO-IL-2", signature: $s) { __typename } }',
      {
        s: await signatureOf(people, 'chen', 'Responsibility'),
      },
    );
    // A CMMS connector opens its maintenance work order; sending it again changes nothing.
    const open = {
      path: PRESS_1,
      condition: 'UnderMaintenance',
      reason: 'Hydraulic leak',
      externalReference: 'cmms:WO-88',
    };
    const first = (await as.run('mia', RECORD, { i: open })).r;
    const audits = (await tableCounts(hub)).audit_record;
    expect((await as.run('mia', RECORD, { i: open })).r.id).toBe(first.id);
    expect((await tableCounts(hub)).audit_record).toBe(audits);

    await signal(PRESS_1, { state: 'Running', source: 'plc-press-1', sequence: 3 }, 'plc-press-1:3');
    await until(async () => (await equipment(PRESS_1)).state === 'Running', 'the Running signal');
    const before = await tableCounts(hub);
    const steps = async () =>
      (await as.run('admin', '{ workOrder(number: "WO-IL-2") { steps { segment } } }')).workOrder.steps;
    const refused = await as.run('ana', `mutation { startStep(number: "WO-IL-2") { ${R} } }`);
    expect(refused.startStep).toEqual({
      __typename: 'InvalidInput',
      code: 'InvalidInput',
      message: expect.stringMatching(
        /^number: step 10-stamp cannot start: .*press-1 is UnderMaintenance \(Hydraulic leak; recorded by .*\); maintenance must clear it first\.$/,
      ),
    });
    expect(await steps()).toEqual([]);
    expect(await tableCounts(hub)).toEqual(before);

    // The CMMS closes its work order: cleared by its reference, the step may start.
    expect(
      (await as.run('mia', CLEAR, { i: { externalReference: 'cmms:WO-88', clearance: 'Seal replaced' } })).r.condition,
    ).toBe('Available');
    expect((await as.run('ana', `mutation { startStep(number: "WO-IL-2") { ${R} } }`)).startStep.__typename).toBe(
      'StepRecord',
    );
  });

  it('lets a calibration fall due by its date: usable before, overdue and announced after', async () => {
    const changes = await subscribe(hub.url, CHANGES, { s: WELDER_1 }, await demoPeople(idp).admin!());
    const dueAt = new Date(Date.now() + 1500).toISOString();
    const { r } = await as.run('mia', RECORD, {
      i: { path: WELDER_1, condition: 'CalibrationDue', reason: 'Annual calibration', dueAt },
    });
    expect(r).toMatchObject({ condition: 'CalibrationDue', blocking: false, dueAt });
    expect((await equipment(WELDER_1)).conditionBlocking).toBe(false);
    const overdue = await changes.waitFor(
      (e) => e.data?.equipmentConditionChanged.type === 'EquipmentCalibrationOverdue',
    );
    expect(overdue.data.equipmentConditionChanged).toMatchObject({
      path: WELDER_1,
      condition: 'CalibrationOverdue',
      previousCondition: 'CalibrationDue',
      blocking: true,
      actor: 'system:equipment-conditions',
    });
    await changes.close();
    expect(await equipment(WELDER_1)).toMatchObject({
      condition: 'CalibrationOverdue',
      conditionBlocking: true,
      conditionSince: dueAt,
    });
    // Each record is cleared on its own; a second clear changes nothing.
    const clear = { id: r.id, clearance: 'Calibrated, certificate C-2026-119' };
    expect((await as.run('mia', CLEAR, { i: clear })).r.condition).toBe('Available');
    const audits = (await tableCounts(hub)).audit_record;
    expect((await as.run('mia', CLEAR, { i: clear })).r.clearance).toBe('Calibrated, certificate C-2026-119');
    expect((await tableCounts(hub)).audit_record).toBe(audits);
  });

  it('explains a record that cannot be made', async () => {
    const refusals = [
      [{ path: WELDER_1, condition: 'Available', reason: 'fine' }, /condition: Available is what remains/],
      [{ path: WELDER_1, condition: 'UnderMaintenance', reason: ' ' }, /reason: must not be empty/],
      [{ path: `${LINE_1}/nothing`, condition: 'UnderMaintenance', reason: 'x' }, /No equipment ".*nothing" exists/],
    ] as const;
    const before = await tableCounts(hub);
    for (const [i, message] of refusals) expect((await as.run('mia', RECORD, { i })).r.message).toMatch(message);
    // Outside the caller's scope reads as missing: packaging's maintenance cannot hold an assembly press.
    const outside = await as.run('pia', RECORD, { i: { path: PRESS_1, condition: 'UnderMaintenance', reason: 'x' } });
    expect(outside.r).toMatchObject({ __typename: 'NotFound', message: expect.stringMatching(/No equipment/) });
    expect(await tableCounts(hub)).toEqual(before);
  });
});
