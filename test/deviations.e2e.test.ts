import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, type TestHub } from './support/harness.js';
import { tableCounts } from './support/plant.js';
import {
  type actAs,
  type demoPeople,
  draftOrder,
  executeToReview,
  R,
  startDemoWithPeople,
  signatureOf,
} from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const DEVIATION = `id kind severity state segment description openedBy capaReference capaLinkedBy capaLinkedAt
  capaClosedBy capaClosedAt capaClosure workOrder { number } lot { lotNumber }`;
const RAISE = `mutation ($i: RaiseDeviationInput!) { r: raiseDeviation(input: $i) { ${R} ... on Deviation { ${DEVIATION} } } }`;
const LINK = `mutation ($i: DeviationCapaInput!) { r: linkDeviationCapa(input: $i) { ${R} ... on Deviation { ${DEVIATION} } } }`;
const CLOSE_CAPA = `mutation ($i: CloseDeviationCapaInput!) { r: closeDeviationCapa(input: $i) { ${R} ... on Deviation { ${DEVIATION} } } }`;
const TO_STOCK = `mutation ($s: SignatureInput!, $n: String!) { r: releaseWorkOrderToStock(number: $n, signature: $s) { ${R} ... on WorkOrder { state } } }`;

/**
 * Nonconformances people raise (on an order, a step or a lot), the CAPA they are handled under, and
 * the yield bracket of the master record checked at completion (issue 14).
 */
describe.each(MODES)('deviations, CAPA and yield (%s)', (mode) => {
  let hub: TestHub;
  let people: ReturnType<typeof demoPeople>;
  let as: ReturnType<typeof actAs>;
  let raised: any;
  beforeAll(async () => {
    ({ hub, people, as } = await startDemoWithPeople(mode));
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  const raise = async (who: string, i: object) => (await as.run(who, RAISE, { i })).r;
  const trail = async (id: string) =>
    (
      await as.run(
        'admin',
        `{ auditTrail(entityType: "Deviation", entityId: "${id}") { edges { node { action actor reason } } } }`,
      )
    ).auditTrail.edges.map((e: any) => e.node);

  it('raises a nonconformance on a step; the order cannot go to stock while it is open', async () => {
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-DEV-1', { quantity: 500, window: 1 });
    await executeToReview(as, people, 'WO-DEV-1', { lotNumber: 'L-DEV-1', quantity: 500 });
    raised = await raise('ana', {
      workOrder: 'WO-DEV-1',
      segment: '20-weld',
      kind: 'Equipment',
      severity: 'Major',
      description: 'Weld tip was worn; 12 nuts may be weak',
    });
    expect(raised).toMatchObject({
      __typename: 'Deviation',
      kind: 'Equipment',
      severity: 'Major',
      state: 'Open',
      segment: '20-weld',
      openedBy: expect.stringContaining('E1001'),
      workOrder: { number: 'WO-DEV-1' },
      lot: null,
      capaReference: null,
    });
    const { workOrder } = await as.run('admin', '{ workOrder(number: "WO-DEV-1") { deviations { id kind } } }');
    expect(workOrder.deviations).toEqual([{ id: raised.id, kind: 'Equipment' }]);
    const blocked = await as.run('ines', TO_STOCK, { n: 'WO-DEV-1', s: await signatureOf(people, 'ines', 'Approval') });
    expect(blocked.r.message).toMatch(/has 1 open deviation\(s\): Weld tip was worn/);
    expect((await as.run('admin', '{ workOrder(number: "WO-DEV-1") { state } }')).workOrder.state).toBe('UnderReview');
    expect(await trail(raised.id)).toEqual([
      {
        action: 'DeviationOpened',
        actor: expect.stringContaining('E1001'),
        reason: 'Weld tip was worn; 12 nuts may be weak',
      },
    ]);
  });

  it('refuses a deviation it cannot place or that only the hub raises, and stores nothing', async () => {
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-DEV-DRAFT', { window: 2 });
    const before = await tableCounts(hub);
    const base = { kind: 'Material', severity: 'Minor', description: 'x' };
    for (const [input, message] of [
      [
        { ...base, workOrder: 'WO-DEV-1', kind: 'OutOfTolerance' },
        /^kind: OutOfTolerance deviations are raised by the hub/,
      ],
      [{ ...base, workOrder: 'WO-DEV-1', kind: 'YieldOutOfBracket' }, /^kind: YieldOutOfBracket deviations/],
      [base, /^workOrder: name the order \(and step\) or the lot/],
      [{ ...base, segment: '20-weld' }, /^segment: a step belongs to an order/],
      [{ ...base, workOrder: 'WO-DEV-1', segment: '99-paint' }, /^segment: order WO-DEV-1 has no step "99-paint"/],
      [
        { ...base, workOrder: 'WO-DEV-DRAFT' },
        /^workOrder: order WO-DEV-DRAFT is Draft: deviations are raised on released orders/,
      ],
      [{ ...base, workOrder: 'WO-NONE' }, /No work order "WO-NONE" exists/],
      [{ ...base, description: ' ', lot: 'L-BOLT-0107' }, /^description: must not be empty/],
    ] as const)
      expect((await raise('ana', input)).message).toMatch(message);
    // Maintenance neither executes, reviews nor decides.
    const denied = await as.raw('mia', RAISE, { i: { ...base, workOrder: 'WO-DEV-1' } });
    expect(denied.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(await tableCounts(hub)).toEqual(before);
  });

  it('links a CAPA and records its closure, each audited; only quality decides', async () => {
    const denied = await as.raw('ana', LINK, { i: { id: raised.id, reference: 'CAPA-2026-014' } });
    expect(denied.errors[0]).toMatchObject({
      message: expect.stringMatching(/needs QualityApproval/),
      extensions: { code: 'FORBIDDEN' },
    });
    const linked = (await as.run('dana', LINK, { i: { id: raised.id, reference: 'CAPA-2026-014' } })).r;
    expect(linked).toMatchObject({
      capaReference: 'CAPA-2026-014',
      capaLinkedBy: expect.stringContaining('E2001'),
      capaLinkedAt: expect.any(String),
      capaClosedAt: null,
    });
    expect((await as.run('dana', CLOSE_CAPA, { i: { id: raised.id, closure: ' ' } })).r.message).toBe(
      'closure: must not be empty.',
    );
    const relink = await as.run('dana', LINK, { i: { id: raised.id, reference: 'CAPA-2026-015' } });
    expect(relink.r.message).toBe('reason: say why the deviation moves from CAPA CAPA-2026-014 to CAPA-2026-015.');
    await as.run('dana', LINK, {
      i: { id: raised.id, reference: 'CAPA-2026-015', reason: 'merged into the weld-tip CAPA' },
    });
    const closed = (
      await as.run('dana', CLOSE_CAPA, {
        i: { id: raised.id, closure: 'Tip change every 5,000 welds; effective over 3 batches' },
      })
    ).r;
    expect(closed).toMatchObject({
      state: 'Open', // the deviation itself is closed by two signatures, not by its CAPA
      capaReference: 'CAPA-2026-015',
      capaClosedBy: expect.stringContaining('E2001'),
      capaClosure: 'Tip change every 5,000 welds; effective over 3 batches',
    });
    const late = await as.run('dana', LINK, { i: { id: raised.id, reference: 'CAPA-2026-016', reason: 'x' } });
    expect(late.r.message).toMatch(/^id: its CAPA CAPA-2026-015 was closed on/);
    expect((await trail(raised.id)).map((e: any) => [e.action, e.reason])).toEqual([
      ['DeviationOpened', 'Weld tip was worn; 12 nuts may be weak'],
      ['DeviationCapaLinked', 'CAPA-2026-014'],
      ['DeviationCapaLinked', 'merged into the weld-tip CAPA'],
      ['DeviationCapaClosed', 'Tip change every 5,000 welds; effective over 3 batches'],
    ]);
  });

  it('raises a deviation on a lot alone, shown with the lot', async () => {
    const onLot = await raise('dana', {
      lot: 'L-BOLT-0107',
      kind: 'Material',
      severity: 'Critical',
      description: 'Supplier reported wrong hardness on this heat',
    });
    expect(onLot).toMatchObject({ workOrder: null, lot: { lotNumber: 'L-BOLT-0107' }, severity: 'Critical' });
    const { materialLot } = await as.run(
      'admin',
      '{ materialLot(lotNumber: "L-BOLT-0107") { deviations { id kind } } }',
    );
    expect(materialLot.deviations).toEqual([{ id: onLot.id, kind: 'Material' }]);
    expect((await trail(onLot.id))[0]).toMatchObject({
      action: 'DeviationOpened',
      actor: expect.stringContaining('E2001'),
    });
    // Closed like any deviation: a Review and an Approval by two people, where the lot is stored.
    const closed = await as.run(
      'ines',
      `mutation ($s: [SignatureInput!]!) { r: closeDeviation(id: "${onLot.id}", resolution: "Heat retested: within spec", signatures: $s) { ${R} ... on Deviation { state signatures { signer meaning act } } } }`,
      { s: [await signatureOf(people, 'chen', 'Review'), await signatureOf(people, 'ines', 'Approval')] },
    );
    expect(closed.r).toEqual({
      __typename: 'Deviation',
      state: 'Closed',
      signatures: [
        { signer: 'E1003', meaning: 'Review', act: 'DeviationClosure' },
        { signer: 'E2003', meaning: 'Approval', act: 'DeviationClosure' },
      ],
    });
  });

  it("opens a deviation at completion when the yield is outside the master record's bracket", async () => {
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-DEV-2', { quantity: 500, window: 3 });
    await executeToReview(as, people, 'WO-DEV-2', { lotNumber: 'L-DEV-2', quantity: 440 });
    const { workOrder } = await as.run(
      'admin',
      '{ workOrder(number: "WO-DEV-2") { state snapshot { yieldBracket { minPercent maxPercent } } deviations { kind severity state description lot { lotNumber } } } }',
    );
    expect(workOrder.snapshot.yieldBracket).toEqual({ minPercent: 95, maxPercent: 102 });
    expect(workOrder.deviations).toEqual([
      {
        kind: 'YieldOutOfBracket',
        severity: 'Major',
        state: 'Open',
        description: 'Yield 88 % (440 of 500 pcs planned) is outside the bracket 95–102 % of the master record.',
        lot: { lotNumber: 'L-DEV-2' },
      },
    ]);
    const blocked = await as.run('ines', TO_STOCK, { n: 'WO-DEV-2', s: await signatureOf(people, 'ines', 'Approval') });
    expect(blocked.r.message).toMatch(/has 1 open deviation\(s\): Yield 88 %/);
  });

  it('keeps a yield bracket on the master record only as a range of percentages', async () => {
    const { r: draft } = await as.run(
      'eng',
      'mutation { r: createProductDefinitionVersion(input: { productDefinition: "PD-BRACKET-A" }) { ... on ProductDefinitionVersion { id yieldBracket { minPercent maxPercent } } } }',
    );
    expect(draft.yieldBracket).toEqual({ minPercent: 95, maxPercent: 102 }); // copied from the version before
    const update = async (yieldBracket: object | null) =>
      (
        await as.run(
          'eng',
          `mutation ($i: UpdateProductDefinitionVersionInput!) { r: updateProductDefinitionVersion(input: $i) { ${R} ... on ProductDefinitionVersion { yieldBracket { minPercent maxPercent } } } }`,
          { i: { id: draft.id, yieldBracket } },
        )
      ).r;
    expect((await update({ minPercent: 103, maxPercent: 97 })).message).toMatch(
      /^yieldBracket: give percentages of the planned quantity with 0 ≤ minPercent ≤ maxPercent ≤ 1000 \(got 103–97\)/,
    );
    expect((await update({ minPercent: 97, maxPercent: 103 })).yieldBracket).toEqual({
      minPercent: 97,
      maxPercent: 103,
    });
    expect((await update(null)).yieldBracket).toBeNull();
  });
});
