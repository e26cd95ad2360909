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
  RELEASE,
  signatureOf,
} from './support/regulated.js';
import { LINE_1_ASSIGNMENTS } from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const UPDATE = `mutation ($n: String!, $i: UpdateMaterialLotInput!, $s: SignatureInput) {
  r: updateMaterialLot(lotNumber: $n, input: $i, signature: $s) { ${R} ... on MaterialLot { status quantity } } }`;
const LOT = 'query ($n: String!) { materialLot(lotNumber: $n) { status quantity } }';
const SIGNED =
  'query ($n: String!) { materialLot(lotNumber: $n) { signatures { signer printedName signedAt meaning act } } }';

/**
 * A lot cannot be changed around the record (issue 14): the output of an order takes its
 * disposition from the order; a disposition is quality's, with a reason; a quantity changes with a
 * reason outside execution, and on released product with a signature. Every change is audited with
 * its reason.
 */
describe.each(MODES)('material lots and the record (%s)', (mode) => {
  let hub: TestHub;
  let people: ReturnType<typeof demoPeople>;
  let as: ReturnType<typeof actAs>;
  beforeAll(async () => {
    ({ hub, people, as } = await startDemoWithPeople(mode));
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  const update = async (who: string, lotNumber: string, input: object, signature?: object) =>
    (await as.run(who, UPDATE, { n: lotNumber, i: input, s: signature ?? null })).r;
  const lot = async (lotNumber: string) => (await as.run('admin', LOT, { n: lotNumber })).materialLot;
  const audits = async (lotNumber: string) => {
    const [{ id }] = await hub.db.em.fork().execute('select id from material_lot where lot_number = ?', [lotNumber]);
    const { auditTrail } = await as.run(
      'admin',
      `{ auditTrail(entityType: "MaterialLot", entityId: "${id}") { edges { node { action actor reason } } } }`,
    );
    return { id, trail: auditTrail.edges.map((e: any) => e.node) };
  };

  it("refuses to release a quarantined lot while its order is under review; the order's disposition releases it", async () => {
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-LOT-1', { quantity: 500, window: 1 });
    await executeToReview(as, people, 'WO-LOT-1', { lotNumber: 'L-LOT-1', quantity: 480 });
    const before = await tableCounts(hub);
    for (const who of ['dana', 'admin']) {
      const refused = await update(who, 'L-LOT-1', { status: 'Released', reason: 'looks good' });
      expect(refused).toEqual({
        __typename: 'InvalidInput',
        code: 'InvalidInput',
        message:
          "status: lot L-LOT-1 is the output of order WO-LOT-1, which is UnderReview; its status follows the order's disposition only (releaseWorkOrderToStock or rejectWorkOrder after review), not a change of the lot.",
      });
    }
    // Nor may its quantity change while the record is open.
    expect((await update('admin', 'L-LOT-1', { quantity: 999, reason: 'recount' })).message).toMatch(
      /^quantity: lot L-LOT-1 is the output of order WO-LOT-1, which is UnderReview: its quantity is part of that record/,
    );
    expect(await lot('L-LOT-1')).toEqual({ status: 'Quarantine', quantity: 480 });
    expect(await tableCounts(hub)).toEqual(before);

    const released = await as.run(
      'ines',
      `mutation ($s: SignatureInput!) { r: releaseWorkOrderToStock(number: "WO-LOT-1", signature: $s) { ${R} ... on WorkOrder { state } } }`,
      { s: await signatureOf(people, 'ines', 'Approval') },
    );
    expect(released.r).toEqual({ __typename: 'WorkOrder', state: 'ReleasedToStock' });
    expect(await lot('L-LOT-1')).toEqual({ status: 'Released', quantity: 480 });
  });

  it('changes released product only with a reason and a signature, and never its status', async () => {
    const before = await tableCounts(hub);
    // 480 → 999 with no reason, then with a reason but unsigned: both refused, nothing stored.
    expect(await update('eng', 'L-LOT-1', { quantity: 999 })).toMatchObject({
      __typename: 'InvalidInput',
      message: expect.stringMatching(/^reason: say why the quantity of lot L-LOT-1 goes from 480 to 999 pcs/),
    });
    expect(await update('eng', 'L-LOT-1', { quantity: 999, reason: 'recount after audit' })).toMatchObject({
      __typename: 'InvalidInput',
      message: expect.stringMatching(
        /^signature: lot L-LOT-1 is released product: changing its quantity needs the signature/,
      ),
    });
    // Its status stays the order's decision, whoever asks.
    expect((await update('dana', 'L-LOT-1', { status: 'OnHold', reason: 'customer complaint' })).message).toMatch(
      /^status: lot L-LOT-1 is the output of order WO-LOT-1, which is ReleasedToStock; its status follows the order's disposition only/,
    );
    expect(await lot('L-LOT-1')).toEqual({ status: 'Released', quantity: 480 });
    expect((await as.run('admin', SIGNED, { n: 'L-LOT-1' })).materialLot.signatures).toEqual([]);
    expect(await tableCounts(hub)).toEqual(before);

    const changed = await update(
      'eng',
      'L-LOT-1',
      { quantity: 470, reason: 'recount after audit: 10 damaged in storage' },
      await signatureOf(people, 'dana', 'Approval'),
    );
    expect(changed).toEqual({ __typename: 'MaterialLot', status: 'Released', quantity: 470 });
    const { id, trail } = await audits('L-LOT-1');
    expect(trail.at(-1)).toEqual({
      action: 'MaterialLotUpdated',
      actor: expect.stringContaining('N4001'),
      reason: 'recount after audit: 10 damaged in storage',
    });
    const signatures = await hub.db.em
      .fork()
      .execute("select signer, meaning from electronic_signature where record_type = 'MaterialLot' and record_id = ?", [
        id,
      ]);
    expect(signatures).toEqual([{ signer: 'E2001', meaning: 'Approval' }]);
    // Shown with the lot it signs (Part 11 §11.50): printed name, time, meaning and act.
    const shown = await as.run('admin', SIGNED, { n: 'L-LOT-1' });
    expect(shown.materialLot.signatures).toEqual([
      {
        signer: 'E2001',
        printedName: 'Dana Weiss',
        signedAt: expect.any(String),
        meaning: 'Approval',
        act: 'ReleasedProductChange',
      },
    ]);
  });

  it('lets a purchased lot leave Quarantine only by quality, with a reason', async () => {
    const created = await as.run(
      'admin',
      `mutation { r: createMaterialLot(input: { lotNumber: "L-PUR-1", materialDefinition: "BOLT-M8", quantity: 1000, location: "acme/berlin/assembly/store-1" }) { ${R} } }`,
    );
    expect(created.r.__typename).toBe('MaterialLot');
    const before = await tableCounts(hub);
    // Managing master data is not deciding on a lot.
    const denied = await as.raw('eng', UPDATE, { n: 'L-PUR-1', i: { status: 'Released', reason: 'supplier CoC ok' } });
    expect(denied.errors[0]).toMatchObject({
      message: expect.stringMatching(/not allowed to QualityApproval at acme\/berlin\/assembly\/store-1/),
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await update('dana', 'L-PUR-1', { status: 'Released' })).toMatchObject({
      __typename: 'InvalidInput',
      message: 'reason: say why lot L-PUR-1 goes from Quarantine to Released.',
    });
    // Quality decides the disposition, not the quantity.
    const quantity = await as.raw('dana', UPDATE, { n: 'L-PUR-1', i: { quantity: 900, reason: 'recount' } });
    expect(quantity.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(await lot('L-PUR-1')).toEqual({ status: 'Quarantine', quantity: 1000 });
    expect(await tableCounts(hub)).toEqual(before);

    expect(
      await update('dana', 'L-PUR-1', { status: 'Released', reason: 'incoming inspection passed, IR-77' }),
    ).toEqual({
      __typename: 'MaterialLot',
      status: 'Released',
      quantity: 1000,
    });
    expect((await audits('L-PUR-1')).trail.at(-1)).toEqual({
      action: 'MaterialLotUpdated',
      actor: expect.stringContaining('E2001'),
      reason: 'incoming inspection passed, IR-77',
    });
  });

  it('keeps what released orders have reserved', async () => {
    await draftOrder((q, v) => as.run('admin', q, v), 'WO-LOT-2', { quantity: 100, window: 2 });
    expect(
      (await as.run('chen', RELEASE, { i: { number: 'WO-LOT-2', assignments: LINE_1_ASSIGNMENTS } })).r.state,
    ).toBe('Released');
    // 0.42 kg × 100 of the coil are held for WO-LOT-2.
    const refused = await update('admin', 'L-COIL-0001', { quantity: 10, reason: 'stock count' });
    expect(refused.message).toBe(
      'quantity: 10 kg is less than the 42 kg of lot L-COIL-0001 still reserved for released orders.',
    );
    expect((await lot('L-COIL-0001')).quantity).toBe(5200);
  });
});
