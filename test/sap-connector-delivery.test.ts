// Outbound: a confirmation reaches SAP once, whatever happens on the way. SAP may or may not refuse a
// second confirmation with the same ExternalSystemConfirmation; with the simulator accepting duplicates,
// only the connector's reconcile read stands between a retry and a second confirmation.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  externalConfirmationId,
  SapError,
  SapS4HanaClient,
  type ConfirmationPayload,
} from '@plantgraph/connector-sap-s4hana';
import { startSapSimulator, type SapSimulator } from './support/sap-simulator/index.js';

let sim: SapSimulator;

beforeAll(async () => {
  sim = await startSapSimulator({ duplicates: 'accept' });
  sim.addMaterial({ material: 'RM-STEEL', plant: '1710', baseUnit: 'KG', batches: ['B-001', 'B-002'] });
  for (const order of ['5000001', '5000002', '5000003', '5000004']) {
    sim.addOrder({
      order,
      material: 'FG-FRAME',
      quantity: 10,
      operations: [{ operation: '0010', workCenter: 'WELD' }],
    });
  }
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.clearFaults();
  sim.duplicates = 'accept';
});

const client = () => new SapS4HanaClient({ baseUrl: sim.url, timeoutMs: 500 });

const payload = (order: string, key: string, yieldQty = '2'): ConfirmationPayload => ({
  OrderID: order,
  OrderOperation: '0010',
  ExternalSystemConfirmation: externalConfirmationId(key),
  ConfirmationYieldQuantity: yieldQty,
  ConfirmationScrapQuantity: '0',
  ConfirmationReworkQuantity: '0',
  ConfirmationUnit: 'ST',
  FinalConfirmationType: 'X',
  IsFinalConfirmation: true,
  PostingDate: `/Date(${Date.UTC(2026, 2, 2)})/`,
  to_ProdnOrdConfMatlDocItm: [
    {
      GoodsMovementType: '261',
      Material: 'RM-STEEL',
      Plant: '1710',
      StorageLocation: '171A',
      Batch: 'B-001',
      QuantityInEntryUnit: '3.5',
      EntryUnit: 'KG',
      OrderID: order,
    },
  ],
});

const forKey = (key: string) =>
  sim.confirmations().filter((c) => c.ExternalSystemConfirmation === externalConfirmationId(key));

describe('SAP connector: confirmations', () => {
  it('derives a stable GUID from any idempotency key and keeps a GUID as it is', () => {
    const a = externalConfirmationId('WorkOrderCompleted:7f1c:sap-prod');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(externalConfirmationId('WorkOrderCompleted:7f1c:sap-prod')).toBe(a);
    expect(externalConfirmationId('WorkOrderCompleted:7f1c:sap-test')).not.toBe(a);
    expect(externalConfirmationId('6F9619FF-8B86-D011-B42D-00C04FC964FF')).toBe('6f9619ff-8b86-d011-b42d-00c04fc964ff');
  });

  it('posts a confirmation with its goods movements and finds it again by its key', async () => {
    const sap = client();
    const posted = await sap.postConfirmation(payload('5000001', 'delivery-1'));
    expect(posted).toMatchObject({
      order: '5000001',
      operation: '0010',
      yieldQuantity: 2,
      isFinal: true,
      confirmationCount: '1',
    });
    expect(posted.goodsMovements).toEqual([
      expect.objectContaining({ movementType: '261', material: 'RM-STEEL', batch: 'B-001', quantity: 3.5, unit: 'KG' }),
    ]);
    expect(posted.goodsMovements[0].materialDocument).not.toBe('');
    const found = await sap.findConfirmations(externalConfirmationId('delivery-1'));
    expect(found.map((c) => [c.confirmationGroup, c.confirmationCount])).toEqual([
      [posted.confirmationGroup, posted.confirmationCount],
    ]);
    expect(await sap.findConfirmations(externalConfirmationId('never-sent'))).toEqual([]);
  });

  it('after a timeout following the commit, reconciles, finds the confirmation and does not post again', async () => {
    const sap = client();
    sim.inject({ kind: 'hang-after-commit' }, { match: { method: 'POST', resource: 'ProdnOrdConf2' } });
    const body = payload('5000002', 'delivery-2');
    const error = await sap.deliverConfirmation(body).then(
      () => undefined,
      (e: unknown) => e as SapError,
    );
    expect(error?.kind).toBe('ambiguous');
    expect(forKey('delivery-2')).toHaveLength(1); // SAP has it, the hub does not know yet

    // The runtime retries with reconcileFirst because the last attempt was ambiguous.
    const postsBefore = sim.confirmations().length;
    const retried = await sap.deliverConfirmation(body, { reconcileFirst: true });
    expect(retried.reconciled).toBe(true);
    expect(retried.confirmation.order).toBe('5000002');
    expect(sim.confirmations().length).toBe(postsBefore);
    expect(forKey('delivery-2')).toHaveLength(1);
  });

  it('after a reset before the commit, reconciles, finds nothing and posts once', async () => {
    const sap = client();
    sim.inject({ kind: 'reset-before-commit' }, { match: { method: 'POST', resource: 'ProdnOrdConf2' } });
    const body = payload('5000003', 'delivery-3');
    await expect(sap.deliverConfirmation(body)).rejects.toMatchObject({ kind: 'ambiguous' });
    expect(forKey('delivery-3')).toHaveLength(0);
    const retried = await sap.deliverConfirmation(body, { reconcileFirst: true });
    expect(retried.reconciled).toBe(false);
    expect(forKey('delivery-3')).toHaveLength(1);
  });

  it('shows why the reconcile read matters: a blind retry duplicates when SAP accepts repeats', async () => {
    const sap = client();
    const body = payload('5000004', 'delivery-4', '1');
    await sap.postConfirmation(body);
    await sap.postConfirmation(body);
    expect(forKey('delivery-4')).toHaveLength(2);
    sim.duplicates = 'reject';
    const refused = await sap.postConfirmation(body).catch((e: unknown) => e as SapError);
    expect(refused).toMatchObject({ kind: 'permanent', sapCode: 'ZSIM_PP/011' });
    expect(forKey('delivery-4')).toHaveLength(2);
  });

  it('cancels a confirmation with CancelProdnOrdConf, reversing its goods movements', async () => {
    const sap = client();
    const posted = await sap.postConfirmation(payload('5000001', 'delivery-5', '1'));
    const reversal = await sap.cancelConfirmation(posted, {
      postingDate: new Date('2026-03-03T00:00:00Z'),
      text: 'Order rejected',
      externalKey: externalConfirmationId('cancel-5'),
    });
    expect(reversal).toMatchObject({
      isReversal: true,
      confirmationGroup: posted.confirmationGroup,
      postingDate: '2026-03-03',
    });
    expect(reversal.goodsMovements.map((g) => g.movementType)).toEqual(['262']);
    const [original] = await sap.findConfirmations(externalConfirmationId('delivery-5'));
    expect(original.isReversed).toBe(true);
    // A retried cancellation is refused by SAP and reconcilable by the reversal's own key.
    await expect(sap.cancelConfirmation(posted)).rejects.toMatchObject({
      kind: 'permanent',
      sapMessage: expect.stringMatching(/already cancelled/),
    });
    expect(await sap.findConfirmations(externalConfirmationId('cancel-5'))).toHaveLength(1);
    // A reversed confirmation does not count for deliverConfirmation: it posts anew.
    const again = await sap.deliverConfirmation(payload('5000001', 'delivery-5', '1'), { reconcileFirst: true });
    expect(again.reconciled).toBe(false);
  });

  it('posts several confirmations in one $batch and reports each, one failing inside the 202', async () => {
    const sap = client();
    const bad = {
      ...payload('5000003', 'batch-2'),
      to_ProdnOrdConfMatlDocItm: [{ ...payload('5000003', 'x').to_ProdnOrdConfMatlDocItm![0], Batch: 'B-404' }],
    };
    const results = await sap.postConfirmations([
      payload('5000003', 'batch-1', '1'),
      bad,
      payload('5000003', 'batch-3', '1'),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const failed = results[1];
    if (failed.ok) throw new Error('expected a failure');
    expect(failed.error).toMatchObject({
      kind: 'permanent',
      sapMessage: 'Batch B-404 does not exist for material RM-STEEL in plant 1710',
    });
    expect(forKey('batch-1')).toHaveLength(1);
    expect(forKey('batch-2')).toHaveLength(0);
    expect(forKey('batch-3')).toHaveLength(1);
  });
});
