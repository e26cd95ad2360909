import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, graphqlRaw, MODES, type TestHub } from './support/harness.js';
import { startHubWithIdp, type TestIdentityProvider } from './support/idp.js';
import { RESULT } from './support/plant.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const LINE_1 = 'acme/berlin/assembly/line-1';
const ASSIGN = [
  { segment: '10-stamp', equipment: `${LINE_1}/press-1`, operators: ['E1001'] },
  { segment: '20-weld', equipment: `${LINE_1}/welder-1`, operators: ['E1001'] },
  { segment: '30-inspect', equipment: 'acme/berlin/assembly/line-2/tester-1', operators: ['E2001'] },
];
const SIGNATURES = 'signatures { signer printedName signedAt meaning act }';

/**
 * Issue 14: who may sign what. A signer holds the permission for the signature's meaning where the
 * record is, the meaning fits the act, whoever executed or wrote a record does not decide on it, and
 * line clearance is a qualified person's signed act. Every refusal leaves the record as it was.
 */
describe.each(MODES)('signatures on regulated records (%s)', (mode) => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  /** People of the demo plant, signed in with the roles their identity provider gives them. */
  const people: Record<string, { sub: string; roles: string[] }> = {
    ana: { sub: 'E1001', roles: ['operator@acme/berlin/assembly'] },
    chen: { sub: 'E1003', roles: ['supervisor@acme/berlin', 'operator@acme/berlin'] },
    dana: { sub: 'E2001', roles: ['quality@acme', 'operator@acme/berlin/assembly'] },
    emil: { sub: 'E2002', roles: ['operator@acme/berlin/packaging'] },
    ines: { sub: 'E2003', roles: ['quality@acme'] },
    jonas: { sub: 'E3001', roles: ['engineer@acme'] },
    kai: { sub: 'E3002', roles: ['engineer@acme'] },
    /** Chen's token from a provider that sends no roles. */
    chenWithoutRoles: { sub: 'E1003', roles: [] },
    /** Jonas, who also holds a quality role somewhere. */
    jonasAsQuality: { sub: 'E3001', roles: ['engineer@acme', 'quality@acme'] },
  };
  const token = (who: string) => idp.token(people[who]!);
  const as = async (who: string, query: string, variables?: Record<string, unknown>) =>
    graphql(hub.url, query, variables, await token(who));
  const sign = async (who: string, meaning: string) => ({ token: await token(who), meaning });
  /** An admin API key of the plant: it may call anything, and sign nothing. */
  let apiKey: string;
  const asKey = (query: string, variables?: Record<string, unknown>) => graphql(hub.url, query, variables, apiKey);
  const signatureCount = async () =>
    Number((await hub.db.em.fork().execute('select count(*) as n from electronic_signature'))[0].n);
  const order = async (number = 'WO-1001') =>
    (
      await asKey(
        `{ workOrder(number: "${number}") { state lineClearedAt ${SIGNATURES}
          steps { segment completedAt verifiedBy ${SIGNATURES} } } }`,
      )
    ).workOrder;

  beforeAll(async () => {
    ({ idp, hub } = await startHubWithIdp({ demo: true, simulatorIntervalMs: 0 }, mode));
    const created = await graphql(
      hub.url,
      'mutation { createApiKey(input: { name: "plant-admin", grants: [{ role: Admin, scope: "acme" }] }) { ... on CreatedApiKey { secret } } }',
      {},
      await idp.token({ sub: 'it-admin', roles: ['admin@*'] }),
    );
    apiKey = created.createApiKey.secret;
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  it('separates releasing to the floor from the quality decision', async () => {
    const release = `mutation ($i: ReleaseWorkOrderInput!) { releaseWorkOrder(input: $i) { ${RESULT} ... on WorkOrder { state } } }`;
    const refused = await graphqlRaw(
      hub.url,
      { query: release, variables: { i: { number: 'WO-1001', assignments: ASSIGN } } },
      await token('ines'),
    );
    expect(refused.body.errors[0].message).toMatch(/needs ReleaseToProduction/);
    expect((await order()).state).toBe('Draft');
    expect((await as('chen', release, { i: { number: 'WO-1001', assignments: ASSIGN } })).releaseWorkOrder.state).toBe(
      'Released',
    );
    const toStock = await graphqlRaw(
      hub.url,
      {
        query: `mutation ($s: SignatureInput!) { releaseWorkOrderToStock(number: "WO-1001", signature: $s) { ${RESULT} } }`,
        variables: { s: await sign('chen', 'Approval') },
      },
      await token('chen'),
    );
    expect(toStock.body.errors[0].message).toMatch(/needs QualityApproval/);
    expect((await order()).state).toBe('Released');
  });

  it('takes line clearance only signed by a person qualified for it', async () => {
    await as('ana', 'mutation { startWorkOrder(input: { number: "WO-1001" }) { __typename } }');
    const clear = (who: string, signature: object | null) =>
      as(
        who,
        `mutation ($s: SignatureInput) { confirmLineClearance(number: "WO-1001", signature: $s) { ${RESULT} ... on WorkOrder { lineClearedAt } } }`,
        { s: signature },
      ).then((d) => d.confirmLineClearance);
    const before = await signatureCount();
    const unsigned = await asKey(`mutation { confirmLineClearance(number: "WO-1001") { ${RESULT} } }`);
    expect(unsigned.confirmLineClearance.message).toMatch(
      /signature: line clearance is a signed act: a person holding a current line-clearance qualification signs it/,
    );
    const byKey = await asKey(
      `mutation ($s: SignatureInput) { confirmLineClearance(number: "WO-1001", signature: $s) { ${RESULT} } }`,
      { s: { token: apiKey, meaning: 'Responsibility' } },
    );
    expect(byKey.confirmLineClearance.message).toMatch(/not an API key/);
    expect((await clear('ana', await sign('ana', 'Responsibility'))).message).toMatch(
      /signature\.token: Ana Ruiz \(E1001\) holds no current line-clearance qualification/,
    );
    expect((await clear('ana', await sign('chen', 'Verification'))).message).toMatch(
      /a line clearance is signed with the meaning Responsibility, not Verification/,
    );
    expect((await clear('ana', await sign('emil', 'Responsibility'))).message).toMatch(
      /E2002 may not sign a line clearance: the meaning Responsibility needs the ExecuteSteps permission at acme\/berlin\/assembly\/line-1 .* grants operator@acme\/berlin\/packaging/,
    );
    expect(await order()).toMatchObject({ lineClearedAt: null, signatures: [] });
    expect(await signatureCount()).toBe(before);

    expect((await clear('ana', await sign('chen', 'Responsibility'))).lineClearedAt).not.toBeNull();
    expect((await order()).signatures).toEqual([
      {
        signer: 'E1003',
        printedName: 'Chen Li',
        signedAt: expect.any(String),
        meaning: 'Responsibility',
        act: 'LineClearance',
      },
    ]);
  });

  it('takes a step verification only from a second person who may execute steps there', async () => {
    const step = async (mutation: string) => (await as('ana', `mutation { r: ${mutation} { ${RESULT} } }`)).r;
    expect((await step('startStep(number: "WO-1001")')).__typename).toBe('StepRecord');
    await step('recordMeasurements(number: "WO-1001", measurements: [{ parameter: "pressure", value: 180 }])');
    await step('consumeMaterial(number: "WO-1001", lotNumber: "L-COIL-0001", quantity: 210)');
    await step('completeStep(number: "WO-1001")');
    await step('startStep(number: "WO-1001")');
    // Out of tolerance: a deviation opens, to be closed in review.
    await step('recordMeasurements(number: "WO-1001", measurements: [{ parameter: "current", value: 10.4 }])');
    await step('consumeMaterial(number: "WO-1001", lotNumber: "L-BOLT-0107", quantity: 1000)');

    const verify = async (signature: object) =>
      (
        await as(
          'ana',
          `mutation ($v: SignatureInput) { completeStep(number: "WO-1001", verification: $v) { ${RESULT} ... on StepRecord { verifiedBy ${SIGNATURES} } } }`,
          { v: signature },
        )
      ).completeStep;
    const before = await signatureCount();
    expect((await verify(await sign('chenWithoutRoles', 'Verification'))).message).toMatch(
      /verification\.token: E1003 may not sign a step verification: the meaning Verification needs the ExecuteSteps permission at acme\/berlin\/assembly\/line-1 \(roles operator, supervisor, admin\), and the signer's token grants no roles at all/,
    );
    expect((await verify(await sign('chen', 'Approval'))).message).toMatch(
      /verification\.meaning: a step verification is signed with the meaning Verification, not Approval/,
    );
    expect((await verify(await sign('emil', 'Verification'))).message).toMatch(
      /E2002 may not sign a step verification.*grants operator@acme\/berlin\/packaging/,
    );
    expect((await verify(await sign('ines', 'Verification'))).message).toMatch(
      /E2003 may not sign a step verification: the meaning Verification needs the ExecuteSteps permission/,
    );
    expect((await verify(await sign('ana', 'Verification'))).message).toMatch(
      /Ana Ruiz \(E1001\) may not sign the step verification: they executed 20-weld/,
    );
    // Re-authentication is the sign-in (`auth_time`), not the token's issue: a token refreshed just
    // now from a sign-in ten minutes ago does not sign, nor one that does not say when its holder signed in.
    const refreshed = await idp.token({ ...people.chen!, auth_time: Math.floor(Date.now() / 1000) - 600 });
    expect((await verify({ token: refreshed, meaning: 'Verification' })).message).toMatch(
      /verification\.token: .*signed in more than 5 minutes ago/,
    );
    const noSignIn = await idp.token({ ...people.chen!, auth_time: undefined });
    expect((await verify({ token: noSignIn, meaning: 'Verification' })).message).toMatch(
      /verification\.token: the token says no sign-in time \(auth_time\)/,
    );
    const weld = (await order()).steps[1];
    expect(weld).toMatchObject({ segment: '20-weld', completedAt: null, verifiedBy: null, signatures: [] });
    expect(await signatureCount()).toBe(before);

    expect(await verify(await sign('chen', 'Verification'))).toEqual({
      __typename: 'StepRecord',
      verifiedBy: 'E1003',
      signatures: [
        {
          signer: 'E1003',
          printedName: 'Chen Li',
          signedAt: expect.any(String),
          meaning: 'Verification',
          act: 'StepVerification',
        },
      ],
    });
  });

  it('has the quality unit release to stock or reject, never someone who executed the order', async () => {
    await as('dana', 'mutation { startStep(number: "WO-1001") { __typename } }');
    await as(
      'dana',
      'mutation ($v: SignatureInput) { completeStep(number: "WO-1001", verification: $v) { __typename } }',
      {
        v: await sign('ana', 'Verification'),
      },
    );
    await as(
      'ana',
      'mutation { completeWorkOrder(number: "WO-1001", producedLotNumber: "L-BRK-7001", producedQuantity: 500) { __typename } }',
    );
    await as('ana', 'mutation { submitWorkOrderForReview(number: "WO-1001") { __typename } }');

    const toStock = async (signature: object) =>
      (
        await as(
          'ines',
          `mutation ($s: SignatureInput!) { releaseWorkOrderToStock(number: "WO-1001", signature: $s) { ${RESULT} ... on WorkOrder { state } } }`,
          { s: signature },
        )
      ).releaseWorkOrderToStock;
    const reject = async (signature: object) =>
      (
        await as(
          'ines',
          `mutation ($s: SignatureInput!) { rejectWorkOrder(number: "WO-1001", disposition: "scrap", signature: $s) { ${RESULT} } }`,
          { s: signature },
        )
      ).rejectWorkOrder;
    // The deviation is closed by a reviewer and the quality unit, and shows both signatures.
    const { workOrder } = await asKey('{ workOrder(number: "WO-1001") { deviations { id } } }');
    const close = async (signatures: object[]) =>
      (
        await as(
          'dana',
          `mutation ($s: [SignatureInput!]!) { closeDeviation(id: "${workOrder.deviations[0].id}", resolution: "pull test passed", signatures: $s) { ${RESULT} ... on Deviation { state ${SIGNATURES} } } }`,
          { s: signatures },
        )
      ).closeDeviation;
    const unsigned = await signatureCount();
    expect((await close([await sign('chen', 'Review'), await sign('ana', 'Approval')])).message).toMatch(
      /signatures\[1\]\.token: E1001 may not sign a deviation closure: the meaning Approval needs the QualityApproval permission/,
    );
    expect((await close([await sign('chen', 'Review'), await sign('kai', 'Review')])).message).toMatch(
      /a deviation closure takes two signatures by two different people: one Review \(Sign\) and one Approval \(QualityApproval\)/,
    );
    expect((await close([await sign('ana', 'Review'), await sign('ines', 'Approval')])).message).toMatch(
      /signatures\[0\]\.token: E1001 may not sign a deviation closure: the meaning Review needs the Sign permission/,
    );
    const open = await asKey(`{ workOrder(number: "WO-1001") { deviations { state ${SIGNATURES} } } }`);
    expect(open.workOrder.deviations).toEqual([{ state: 'Open', signatures: [] }]);
    expect(await signatureCount()).toBe(unsigned);
    const closed = await close([await sign('chen', 'Review'), await sign('ines', 'Approval')]);
    expect(closed.state).toBe('Closed');
    expect(closed.signatures.map((x: any) => [x.printedName, x.act, x.meaning])).toEqual([
      ['Chen Li', 'DeviationClosure', 'Review'],
      ['Ines Moreau', 'DeviationClosure', 'Approval'],
    ]);

    const before = await signatureCount();
    expect((await toStock(await sign('dana', 'Approval'))).message).toMatch(
      /signature\.token: Dana Weiss \(E2001\) may not sign the release to stock: they executed step 30-inspect of WO-1001/,
    );
    expect((await reject(await sign('dana', 'Approval'))).message).toMatch(
      /Dana Weiss \(E2001\) may not sign the rejection: they executed step 30-inspect/,
    );
    expect((await toStock(await sign('chen', 'Approval'))).message).toMatch(
      /E1003 may not sign a release to stock: the meaning Approval needs the QualityApproval permission at acme\/berlin\/assembly\/line-1 \(roles quality, admin\)/,
    );
    expect((await toStock(await sign('ines', 'Review'))).message).toMatch(
      /a release to stock is signed with the meaning Approval, not Review/,
    );
    expect((await toStock({ token: apiKey, meaning: 'Approval' })).message).toMatch(/not an API key/);
    const held = await asKey('{ materialLot(lotNumber: "L-BRK-7001") { status genealogyLockedAt } }');
    expect(held.materialLot).toEqual({ status: 'Quarantine', genealogyLockedAt: null });
    expect((await order()).state).toBe('UnderReview');
    expect(await signatureCount()).toBe(before);

    expect(await toStock(await sign('ines', 'Approval'))).toEqual({
      __typename: 'WorkOrder',
      state: 'ReleasedToStock',
    });
    const done = await order();
    expect(done.signatures.map((s: any) => [s.printedName, s.act, s.meaning])).toEqual([
      ['Chen Li', 'LineClearance', 'Responsibility'],
      ['Ines Moreau', 'ReleaseToStock', 'Approval'],
    ]);
    expect(done.steps.map((s: any) => s.signatures.map((x: any) => [x.printedName, x.meaning]))).toEqual([
      [],
      [['Chen Li', 'Verification']],
      [['Ana Ruiz', 'Verification']],
    ]);
  });

  it('has a master record written, reviewed and approved by three different people', async () => {
    const { r: draft } = await as(
      'jonas',
      `mutation { r: createProductDefinitionVersion(input: { productDefinition: "PD-BRACKET-A", changeNote: "thicker coil" }) { ${RESULT} ... on ProductDefinitionVersion { id authors } } }`,
    );
    expect(draft.authors).toEqual(['user:E3001']);
    const transition = async (who: string, state: string, signature?: object) =>
      (
        await as(
          who,
          `mutation ($i: TransitionProductDefinitionVersionInput!) { r: transitionProductDefinitionVersion(input: $i) { ${RESULT} ... on ProductDefinitionVersion { state } } }`,
          { i: { id: draft.id, state, signature } },
        )
      ).r;
    const review = async (who: string, signature: object) =>
      (
        await as(
          who,
          `mutation ($id: ID!, $s: SignatureInput!) { r: reviewProductDefinitionVersion(id: $id, signature: $s) { ${RESULT} } }`,
          { id: draft.id, s: signature },
        )
      ).r;
    const version = async () =>
      (
        await asKey(`{ productDefinition(code: "PD-BRACKET-A") { versions { id state authors ${SIGNATURES} } } }`)
      ).productDefinition.versions.find((v: any) => v.id === draft.id);
    expect((await transition('jonas', 'ForReview')).state).toBe('ForReview');

    // One API key can no longer review, approve and activate.
    const keyReview = await asKey(
      `mutation ($id: ID!, $s: SignatureInput!) { r: reviewProductDefinitionVersion(id: $id, signature: $s) { ${RESULT} } }`,
      { id: draft.id, s: { token: apiKey, meaning: 'Review' } },
    );
    expect(keyReview.r.message).toMatch(/not an API key/);
    const keyApproval = await asKey(
      `mutation ($id: ID!) { r: transitionProductDefinitionVersion(input: { id: $id, state: Approved }) { ${RESULT} } }`,
      { id: draft.id },
    );
    expect(keyApproval.r.message).toMatch(/version 2 has not been reviewed since it was submitted/);
    expect((await review('jonas', await sign('jonas', 'Review'))).message).toMatch(
      /Jonas Berg \(E3001\) may not sign the master-record review: they wrote this version/,
    );
    expect((await review('kai', await sign('ana', 'Review'))).message).toMatch(
      /E1001 may not sign a master-record review: the meaning Review needs the Sign permission for the whole enterprise/,
    );
    expect(await version()).toMatchObject({ state: 'ForReview', authors: ['user:E3001'], signatures: [] });

    expect((await review('kai', await sign('ines', 'Review'))).__typename).toBe('ProductDefinitionVersion');
    expect((await review('kai', await sign('ines', 'Review'))).message).toMatch(/they reviewed this version already/);
    expect((await transition('ines', 'Approved')).message).toMatch(/approving a master record is signed/);
    expect((await transition('ines', 'Approved', await sign('ines', 'Approval'))).message).toMatch(
      /Ines Moreau \(E2003\) may not sign the master-record approval: they reviewed this version, and the approver must be a third person/,
    );
    expect((await transition('ines', 'Approved', await sign('jonasAsQuality', 'Approval'))).message).toMatch(
      /Jonas Berg \(E3001\) may not sign the master-record approval: they wrote this version/,
    );
    expect((await transition('ines', 'Approved', await sign('kai', 'Approval'))).message).toMatch(
      /E3002 may not sign a master-record approval: the meaning Approval needs the QualityApproval permission for the whole enterprise/,
    );
    expect(await version()).toMatchObject({ state: 'ForReview', signatures: [{ signer: 'E2003', meaning: 'Review' }] });

    expect((await transition('ines', 'Approved', await sign('dana', 'Approval'))).state).toBe('Approved');
    expect((await transition('ines', 'Active')).state).toBe('Active');
    expect((await version()).signatures).toEqual([
      {
        signer: 'E2003',
        printedName: 'Ines Moreau',
        signedAt: expect.any(String),
        meaning: 'Review',
        act: 'MasterRecordReview',
      },
      {
        signer: 'E2001',
        printedName: 'Dana Weiss',
        signedAt: expect.any(String),
        meaning: 'Approval',
        act: 'MasterRecordApproval',
      },
    ]);
  });
});
