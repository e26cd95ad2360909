import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, type TestHub } from './support/harness.js';
import { startHubWithIdp, type TestIdentityProvider } from './support/idp.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const LINE_1 = 'acme/berlin/assembly/line-1';
const R = `__typename ... on ErrorResult { code message }`;

/** A discrete build of WO-1001 on the demo plant, from Draft to ReleasedToStock, through GraphQL alone. */
describe('a regulated work order from Draft to ReleasedToStock', () => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  const as: Record<string, () => Promise<string>> = {};
  const run = async (who: string, query: string, variables?: object) =>
    graphql(hub.url, query, variables as Record<string, unknown>, await as[who]!());
  const sign = async (who: string, meaning = 'Approval') => ({ token: await as[who]!(), meaning });

  beforeAll(async () => {
    ({ idp, hub } = await startHubWithIdp({ demo: true, simulatorIntervalMs: 0 }));
    // Subjects are employee ids: the hub maps a signed-in user to the person executing or signing.
    as.chen = () => idp.token({ sub: 'E1003', roles: ['supervisor@acme/berlin'] });
    as.ana = () => idp.token({ sub: 'E1001', roles: ['operator@acme/berlin/assembly'] });
    as.dana = () => idp.token({ sub: 'E2001', roles: ['quality@acme', 'operator@acme/berlin/assembly'] });
    as.ben = () => idp.token({ sub: 'E1002', roles: ['operator@acme/berlin/assembly'] });
    // Quality assurance: executed nothing, so she may release what the others made.
    as.ines = () => idp.token({ sub: 'E2003', roles: ['quality@acme'] });
    as.admin = () => idp.token({ sub: 'plant-admin', roles: ['admin@acme'] });
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  it('runs the whole lifecycle with execution data, signatures, genealogy and a verified audit chain', async () => {
    const release = await run(
      'chen',
      `mutation ($i: ReleaseWorkOrderInput!) { releaseWorkOrder(input: $i) { ${R} ... on WorkOrder { state } } }`,
      {
        i: {
          number: 'WO-1001',
          assignments: [
            { segment: '10-stamp', equipment: `${LINE_1}/press-1`, operators: ['E1001'] },
            { segment: '20-weld', equipment: `${LINE_1}/welder-1`, operators: ['E1001'] },
            { segment: '30-inspect', equipment: 'acme/berlin/assembly/line-2/tester-1', operators: ['E2001'] },
          ],
        },
      },
    );
    expect(release.releaseWorkOrder).toEqual({ __typename: 'WorkOrder', state: 'Released' });
    expect(
      (
        await run(
          'ana',
          `mutation { startWorkOrder(input: { number: "WO-1001" }) { ${R} ... on WorkOrder { state } } }`,
        )
      ).startWorkOrder.state,
    ).toBe('InProgress');

    // Hard guard: no step before line clearance.
    const early = await run('ana', `mutation { startStep(number: "WO-1001") { ${R} } }`);
    expect(early.startStep.message).toMatch(/step 10-stamp cannot start: line clearance has not been confirmed/);
    const clearance = `mutation ($s: SignatureInput) { confirmLineClearance(number: "WO-1001", signature: $s) { ${R} } }`;
    expect(
      (await run('ana', clearance, { s: await sign('ana', 'Responsibility') })).confirmLineClearance.message,
    ).toMatch(/Ana Ruiz \(E1001\) holds no current line-clearance qualification/);
    await run('ana', clearance, { s: await sign('chen', 'Responsibility') });

    // Step 1: the operator sees only the current step, with its pinned work instruction.
    const { workOrder } = await run(
      'ana',
      '{ workOrder(number: "WO-1001") { currentStep { code workInstruction parameters { name target } } } }',
    );
    expect(workOrder.currentStep).toEqual({
      code: '10-stamp',
      workInstruction: 'WI-104 rev C',
      parameters: [{ name: 'pressure', target: 180 }],
    });
    expect(
      (await run('ana', `mutation { startStep(number: "WO-1001") { ${R} ... on StepRecord { segment operator } } }`))
        .startStep,
    ).toMatchObject({ segment: '10-stamp', operator: 'E1001' });
    const captured = await run(
      'ana',
      'mutation { recordMeasurements(number: "WO-1001", measurements: [{ parameter: "pressure", value: 181 }], containers: ["BIN-17"], passed: true) { ... on StepRecord { containers passed equipment } } }',
    );
    expect(captured.recordMeasurements).toEqual({
      containers: ['BIN-17'],
      passed: true,
      equipment: `${LINE_1}/press-1`,
    });
    expect(
      (
        await run(
          'ana',
          `mutation { consumeMaterial(number: "WO-1001", lotNumber: "L-COIL-0001", quantity: 210) { ${R} } }`,
        )
      ).consumeMaterial.__typename,
    ).toBe('StepRecord');
    expect(
      (
        await run(
          'ana',
          `mutation { consumeMaterial(number: "WO-1001", lotNumber: "L-COIL-0002", quantity: 1) { ${R} } }`,
        )
      ).consumeMaterial.message,
    ).toMatch(/no reservation of lot L-COIL-0002/);
    expect(
      (await run('ana', `mutation { completeStep(number: "WO-1001") { ${R} ... on StepRecord { completedAt } } }`))
        .completeStep.completedAt,
    ).not.toBeNull();

    // Step 2 is critical and goes out of tolerance.
    await run('ana', 'mutation { startStep(number: "WO-1001") { __typename } }');
    const weld = await run(
      'ana',
      'mutation { recordMeasurements(number: "WO-1001", measurements: [{ parameter: "current", value: 10.4 }]) { ... on StepRecord { measurements { parameter value withinTolerance } } } }',
    );
    expect(weld.recordMeasurements.measurements).toEqual([
      { parameter: 'current', value: 10.4, withinTolerance: false },
    ]);
    await run(
      'ana',
      'mutation { consumeMaterial(number: "WO-1001", lotNumber: "L-BOLT-0107", quantity: 990) { __typename } }',
    );
    expect((await run('ana', `mutation { completeStep(number: "WO-1001") { ${R} } }`)).completeStep.message).toMatch(
      /critical: a second person must verify/,
    );
    const selfVerified = await run(
      'ana',
      `mutation ($v: SignatureInput) { completeStep(number: "WO-1001", verification: $v) { ${R} } }`,
      { v: await sign('ana', 'Verification') },
    );
    expect(selfVerified.completeStep.message).toMatch(
      /Ana Ruiz \(E1001\) may not sign the step verification: they executed 20-weld, and the verifier must be a different person than the operator \(E1001\)/,
    );
    const verified = await run(
      'ana',
      `mutation ($v: SignatureInput) { completeStep(number: "WO-1001", verification: $v) { ${R} ... on StepRecord { verifiedBy } } }`,
      { v: await sign('chen', 'Verification') },
    );
    expect(verified.completeStep).toEqual({ __typename: 'StepRecord', verifiedBy: 'E1003' });

    // Step 3: only the assigned, qualified inspector may start it.
    expect((await run('ana', `mutation { startStep(number: "WO-1001") { ${R} } }`)).startStep.message).toMatch(
      /E1001 is not assigned to 30-inspect.*E1001 holds no current final-inspection qualification/,
    );
    await run('dana', 'mutation { startStep(number: "WO-1001") { __typename } }');
    await run('dana', `mutation ($v: SignatureInput) { completeStep(number: "WO-1001", verification: $v) { ${R} } }`, {
      v: await sign('chen', 'Verification'),
    });

    // Completion: produced lot in quarantine, unused bolts given back (yield variance).
    const done = await run(
      'ana',
      `mutation { completeWorkOrder(number: "WO-1001", producedLotNumber: "L-BRK-0001", producedQuantity: 495) { ${R} ... on WorkOrder { state producedLot reservations { lot { lotNumber } quantity status } } } }`,
    );
    expect(done.completeWorkOrder.state).toBe('Completed');
    expect(done.completeWorkOrder.reservations).toEqual([
      { lot: { lotNumber: 'L-COIL-0001' }, quantity: 210, status: 'Consumed' },
      { lot: { lotNumber: 'L-BOLT-0107' }, quantity: 1000, status: 'Returned' },
    ]);
    const stock = await run(
      'chen',
      '{ coil: materialLot(lotNumber: "L-COIL-0001") { quantity } bolts: materialLot(lotNumber: "L-BOLT-0107") { quantity } made: materialLot(lotNumber: "L-BRK-0001") { status quantity } }',
    );
    expect(stock).toEqual({
      coil: { quantity: 4990 },
      bolts: { quantity: 19010 },
      made: { status: 'Quarantine', quantity: 495 },
    });

    // Review: open deviations block release to stock; two people close it.
    await run('ana', 'mutation { submitWorkOrderForReview(number: "WO-1001") { __typename } }');
    const blocked = await run(
      'dana',
      `mutation ($s: SignatureInput!) { releaseWorkOrderToStock(number: "WO-1001", signature: $s) { ${R} } }`,
      { s: await sign('dana') },
    );
    expect(blocked.releaseWorkOrderToStock.message).toMatch(
      /has 1 open deviation\(s\): current = 10.4 at 20-weld is outside 9…10 kA/,
    );
    const { workOrder: review } = await run(
      'dana',
      '{ workOrder(number: "WO-1001") { state deviations { id state } } }',
    );
    expect(review.state).toBe('UnderReview');
    const oneSigner = await run(
      'dana',
      `mutation ($s: [SignatureInput!]!) { closeDeviation(id: "${review.deviations[0].id}", resolution: "weld pull test passed", signatures: $s) { ${R} } }`,
      { s: [await sign('dana', 'Review'), await sign('dana', 'Approval')] },
    );
    expect(oneSigner.closeDeviation.message).toMatch(/a second, different person must sign/);
    const closed = await run(
      'dana',
      `mutation ($s: [SignatureInput!]!) { closeDeviation(id: "${review.deviations[0].id}", resolution: "weld pull test passed", signatures: $s) { ${R} ... on Deviation { state resolution signatures { signer act meaning } } } }`,
      { s: [await sign('chen', 'Review'), await sign('dana', 'Approval')] },
    );
    expect(closed.closeDeviation).toEqual({
      __typename: 'Deviation',
      state: 'Closed',
      resolution: 'weld pull test passed',
      signatures: [
        { signer: 'E1003', act: 'DeviationClosure', meaning: 'Review' },
        { signer: 'E2001', act: 'DeviationClosure', meaning: 'Approval' },
      ],
    });
    // Dana inspected the batch: she may not release it herself.
    const own = await run(
      'dana',
      `mutation ($s: SignatureInput!) { releaseWorkOrderToStock(number: "WO-1001", signature: $s) { ${R} } }`,
      { s: await sign('dana') },
    );
    expect(own.releaseWorkOrderToStock.message).toMatch(
      /Dana Weiss \(E2001\) may not sign the release to stock: they executed step 30-inspect of WO-1001/,
    );
    const released = await run(
      'dana',
      `mutation ($s: SignatureInput!) { releaseWorkOrderToStock(number: "WO-1001", signature: $s) { ${R} ... on WorkOrder { state jobControlState signatures { signer printedName act meaning recordHash } } } }`,
      { s: await sign('ines') },
    );
    expect(released.releaseWorkOrderToStock).toMatchObject({
      state: 'ReleasedToStock',
      jobControlState: 'Ended',
      signatures: [
        { signer: 'E1003', printedName: 'Chen Li', act: 'LineClearance', meaning: 'Responsibility' },
        {
          signer: 'E2003',
          printedName: 'Ines Moreau',
          act: 'ReleaseToStock',
          meaning: 'Approval',
          recordHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      ],
    });

    // Genealogy both ways, locked from now on.
    const trace = await run(
      'dana',
      `{ made: materialLot(lotNumber: "L-BRK-0001") { status genealogyLockedAt genealogyInputs { lot { lotNumber } via quantity depth } }
      coil: materialLot(lotNumber: "L-COIL-0001") { genealogyOutputs { lot { lotNumber } depth } } }`,
    );
    expect(trace.made.status).toBe('Released');
    expect(trace.made.genealogyLockedAt).not.toBeNull();
    expect(trace.made.genealogyInputs).toEqual(
      expect.arrayContaining([
        { lot: { lotNumber: 'L-COIL-0001' }, via: 'L-BRK-0001', quantity: 210, depth: 1 },
        { lot: { lotNumber: 'L-BOLT-0107' }, via: 'L-BRK-0001', quantity: 990, depth: 1 },
      ]),
    );
    expect(trace.coil.genealogyOutputs).toEqual([{ lot: { lotNumber: 'L-BRK-0001' }, depth: 1 }]);
    await expect(hub.db.em.fork().execute('delete from lot_genealogy')).rejects.toThrow(
      /genealogy of this lot is locked/,
    );

    // Across scopes a recall still follows the chain, by lot number only: move the coil to packaging,
    // and an assembly operator sees its number and the link, nothing of the lot itself.
    const moved = await run(
      'admin',
      `mutation { updateMaterialLot(lotNumber: "L-COIL-0001", input: { location: "acme/berlin/packaging" }) { ${R} } }`,
    );
    expect(moved.updateMaterialLot.__typename).toBe('MaterialLot');
    const seen = await run(
      'ana',
      `{ made: materialLot(lotNumber: "L-BRK-0001") { genealogyInputs { lotNumber lot { lotNumber status quantity } via quantity depth } }
      coil: materialLot(lotNumber: "L-COIL-0001") { lotNumber } }`,
    );
    expect(seen.coil).toBeNull();
    expect(seen.made.genealogyInputs).toEqual(
      expect.arrayContaining([
        { lotNumber: 'L-COIL-0001', lot: null, via: 'L-BRK-0001', quantity: 210, depth: 1 },
        {
          lotNumber: 'L-BOLT-0107',
          lot: { lotNumber: 'L-BOLT-0107', status: expect.any(String), quantity: expect.any(Number) },
          via: 'L-BRK-0001',
          quantity: 990,
          depth: 1,
        },
      ]),
    );

    // Every step is in the verified audit chain.
    const admin = await idp.token({ roles: ['admin@*'] });
    const { workOrder: order } = await graphql(hub.url, '{ workOrder(number: "WO-1001") { id } }', undefined, admin);
    const audit = await graphql(
      hub.url,
      `{ verifyAuditChain { valid } auditTrail(entityType: "WorkOrder", entityId: "${order.id}") { edges { node { action actor } } } }`,
      undefined,
      admin,
    );
    expect(audit.verifyAuditChain.valid).toBe(true);
    expect(audit.auditTrail.edges.map((e: any) => e.node.action)).toEqual(
      expect.arrayContaining([
        'WorkOrderReleased',
        'WorkOrderStarted',
        'WorkOrderLineCleared',
        'DeviationOpened',
        'DeviationClosed',
        'WorkOrderCompleted',
        'WorkOrderSubmittedForReview',
        'WorkOrderReleasedToStock',
      ]),
    );
  });

  it('corrects a recorded value only through a two-person deviation, and rejects a batch with its disposition', async () => {
    // On line 1, whose welder WO-1001 no longer holds (an order may not borrow a unit of another line).
    const number = 'WO-1003';
    await run('chen', 'mutation ($i: CreateWorkOrderInput!) { createWorkOrder(input: $i) { __typename } }', {
      i: { number, productDefinition: 'PD-BRACKET-A', quantity: 1200, equipment: LINE_1 },
    });
    await run('chen', 'mutation ($i: ReleaseWorkOrderInput!) { releaseWorkOrder(input: $i) { __typename } }', {
      i: {
        number,
        assignments: [
          { segment: '10-stamp', equipment: `${LINE_1}/press-2`, operators: ['E1001'] },
          { segment: '20-weld', equipment: `${LINE_1}/welder-1`, operators: ['E1001'] },
          { segment: '30-inspect', equipment: 'acme/berlin/assembly/line-2/tester-1', operators: ['E2001'] },
        ],
      },
    });
    await run('ana', `mutation { startWorkOrder(input: { number: "${number}" }) { __typename } }`);
    await run(
      'ana',
      `mutation ($s: SignatureInput) { confirmLineClearance(number: "${number}", signature: $s) { __typename } }`,
      {
        s: await sign('chen', 'Responsibility'),
      },
    );
    for (const [who, parameter, value] of [
      ['ana', 'pressure', 179],
      ['ana', 'current', 9.6],
      ['dana', null, null],
    ] as const) {
      await run(who, `mutation { startStep(number: "${number}") { __typename } }`);
      if (parameter)
        await run(
          who,
          `mutation { recordMeasurements(number: "${number}", measurements: [{ parameter: "${parameter}", value: ${value} }]) { __typename } }`,
        );
      const v = parameter === 'pressure' ? null : await sign('chen', 'Verification');
      expect(
        (
          await run(
            who,
            `mutation ($v: SignatureInput) { completeStep(number: "${number}", verification: $v) { ${R} } }`,
            { v },
          )
        ).completeStep.__typename,
      ).toBe('StepRecord');
    }

    // Signatures come from the signer, freshly signed in, and from two different people.
    const correct = async (signatures: object[]) =>
      (
        await run(
          'dana',
          `mutation ($s: [SignatureInput!]!) {
      correctMeasurement(number: "${number}", segment: "10-stamp", parameter: "pressure", value: 183, reason: "transcription error", signatures: $s) { ${R} ... on StepRecord { measurements { value } } } }`,
          { s: signatures },
        )
      ).correctMeasurement;
    const stale = await idp.token({
      sub: 'E1003',
      roles: ['supervisor@acme'],
      iat: Math.floor(Date.now() / 1000) - 600,
    });
    expect(
      (
        await correct([
          await sign('dana', 'Review'),
          { token: 'pgk_AAAAAAAAAAAA_0123456789012345678901234567890123456789012', meaning: 'Approval' },
        ])
      ).message,
    ).toMatch(
      /signatures\[1\]\.token: a signature needs the signer's own sign-in token from the identity provider, not an API key/,
    );
    expect((await correct([await sign('dana', 'Review'), { token: stale, meaning: 'Approval' }])).message).toMatch(
      /signed in more than 5 minutes ago/,
    );
    // The sign-in is `auth_time`, not when the token was issued (a refreshed token is new, its sign-in old).
    const refreshed = await idp.token({
      sub: 'E1003',
      roles: ['supervisor@acme'],
      auth_time: Math.floor(Date.now() / 1000) - 600,
    });
    expect((await correct([await sign('dana', 'Review'), { token: refreshed, meaning: 'Approval' }])).message).toMatch(
      /signed in more than 5 minutes ago/,
    );
    const unknownSignIn = await idp.token({ sub: 'E1003', roles: ['supervisor@acme'], auth_time: undefined });
    expect(
      (await correct([await sign('dana', 'Review'), { token: unknownSignIn, meaning: 'Approval' }])).message,
    ).toMatch(/says no sign-in time \(auth_time\)/);
    expect((await correct([await sign('dana', 'Review'), await sign('dana', 'Approval')])).message).toMatch(
      /a second, different person must sign/,
    );
    expect((await correct([await sign('dana', 'Review'), await sign('chen', 'Review')])).message).toMatch(
      /takes two signatures by two different people: one Review \(Sign\) and one Approval \(QualityApproval\); got Review, Review/,
    );
    // A supervisor may co-sign as reviewer but not approve for the quality unit.
    expect((await correct([await sign('dana', 'Review'), await sign('chen', 'Approval')])).message).toMatch(
      /signatures\[1\]\.token: E1003 may not sign a correction: the meaning Approval needs the QualityApproval permission at acme\/berlin\/assembly\/line-1/,
    );
    const { workOrder: unchanged } = await run(
      'dana',
      `{ workOrder(number: "${number}") { steps { measurements { value } } deviations { kind } } }`,
    );
    expect(unchanged.steps[0].measurements[0].value).toBe(179);
    expect(unchanged.deviations).toEqual([]);
    expect((await correct([await sign('chen', 'Review'), await sign('dana', 'Approval')])).measurements).toEqual([
      { value: 183 },
    ]);
    const { workOrder: corrected } = await run(
      'dana',
      `{ workOrder(number: "${number}") { deviations { kind state description } } }`,
    );
    expect(corrected.deviations).toEqual([
      {
        kind: 'Correction',
        state: 'Closed',
        description: 'pressure at 10-stamp corrected from 179 to 183: transcription error',
      },
    ]);

    await run(
      'ana',
      `mutation { completeWorkOrder(number: "${number}", producedLotNumber: "L-BRK-0002", producedQuantity: 1180) { __typename } }`,
    );
    await run('ana', `mutation { submitWorkOrderForReview(number: "${number}") { __typename } }`);
    const rejected = await run(
      'dana',
      `mutation ($s: SignatureInput!) { rejectWorkOrder(number: "${number}", disposition: "scrap: burrs on 20 % of parts", signature: $s) { ${R} ... on WorkOrder { state stateReason jobControlState } } }`,
      { s: await sign('ines', 'Approval') },
    );
    expect(rejected.rejectWorkOrder).toEqual({
      __typename: 'WorkOrder',
      state: 'Rejected',
      stateReason: 'scrap: burrs on 20 % of parts',
      jobControlState: 'Ended',
    });
    const lot = await run('dana', '{ materialLot(lotNumber: "L-BRK-0002") { status genealogyLockedAt } }');
    expect(lot.materialLot.status).toBe('Rejected');
    expect(lot.materialLot.genealogyLockedAt).not.toBeNull();
    const again = await run(
      'dana',
      `mutation ($s: [SignatureInput!]!) { correctMeasurement(number: "${number}", segment: "10-stamp", parameter: "pressure", value: 180, reason: "x", signatures: $s) { ${R} } }`,
      { s: [await sign('dana'), await sign('chen')] },
    );
    expect(again.correctMeasurement.message).toMatch(/is Rejected; its record is closed/);
  });
});
