// Posting a confirmation as SAP's business logic would, for the checks PlantGraph must survive: the
// order and operation exist and are released, the quantity fits the open quantity, units match, goods
// movements name maintained materials, known batches and a storage location. The messages and their
// codes (message class ZSIM_PP) are the simulator's own.

import type { Row } from './edm.js';
import { businessError } from './sap-error.js';
import type { ConfirmationRecord, MaterialRecord, OrderRecord, SimStore } from './store.js';

export const MOVEMENT_REVERSALS: Record<string, string> = {
  '261': '262',
  '101': '102',
  '262': '261',
  '102': '101',
  '531': '532',
};

export function findOperation(store: SimStore, orderId: string, operation: string): { order: OrderRecord; op: Row } {
  const order = store.orders.get(orderId);
  if (!order) throw businessError('ZSIM_PP/001', `Order ${orderId} does not exist`, 'OrderID');
  const op = order.operations.find((o) => o.ManufacturingOrderOperation === operation);
  if (!op)
    throw businessError('ZSIM_PP/002', `Operation ${operation} does not exist in order ${orderId}`, 'OrderOperation');
  return { order, op };
}

function checkGoodsMovement(store: SimStore, item: Row, plantOfOrder: string, index: number): MaterialRecord {
  const target = `to_ProdnOrdConfMatlDocItm(${index + 1})`;
  const type = String(item.GoodsMovementType ?? '');
  if (!(type in MOVEMENT_REVERSALS)) {
    throw businessError(
      'ZSIM_PP/010',
      `Movement type ${type || '(empty)'} is not allowed for confirmations`,
      `${target}/GoodsMovementType`,
    );
  }
  const plant = String(item.Plant || plantOfOrder);
  const materialId = String(item.Material ?? '');
  const material = store.material(materialId, plant);
  if (!material)
    throw businessError(
      'ZSIM_PP/005',
      `Material ${materialId} is not maintained in plant ${plant}`,
      `${target}/Material`,
    );
  if (!item.StorageLocation)
    throw businessError(
      'ZSIM_PP/009',
      `Enter a storage location for material ${materialId}`,
      `${target}/StorageLocation`,
    );
  const unit = String(item.EntryUnit ?? '');
  if (unit !== material.baseUnit) {
    throw businessError(
      'ZSIM_PP/008',
      `Unit ${unit || '(empty)'} is not the base unit ${material.baseUnit} of material ${materialId}`,
      `${target}/EntryUnit`,
    );
  }
  const batch = String(item.Batch ?? '');
  if (material.batchManaged && type !== '101') {
    if (!batch)
      throw businessError('ZSIM_PP/007', `Enter a batch for batch-managed material ${materialId}`, `${target}/Batch`);
    if (!material.batches.has(batch)) {
      throw businessError(
        'ZSIM_PP/006',
        `Batch ${batch} does not exist for material ${materialId} in plant ${plant}`,
        `${target}/Batch`,
      );
    }
  }
  if (!(Number(item.QuantityInEntryUnit ?? 0) > 0)) {
    throw businessError(
      'ZSIM_PP/017',
      `Enter a quantity above 0 for material ${materialId}`,
      `${target}/QuantityInEntryUnit`,
    );
  }
  return material;
}

/** Validates and stores a new confirmation (inside the caller's changeset, if any). */
export function postConfirmation(store: SimStore, input: Row, items: Row[], now: Date): ConfirmationRecord {
  const orderId = String(input.OrderID ?? '');
  const operation = String(input.OrderOperation ?? '');
  if (!orderId || !operation) throw businessError('ZSIM_PP/015', 'Enter an order and an operation', 'OrderID');
  const { order, op } = findOperation(store, orderId, operation);
  if (order.header.OrderIsReleased !== 'X')
    throw businessError('ZSIM_PP/016', `Order ${orderId} is not released`, 'OrderID');

  const orderUnit = String(order.header.ProductionUnit);
  const unit = String(input.ConfirmationUnit || orderUnit);
  if (unit !== orderUnit) {
    throw businessError(
      'ZSIM_PP/004',
      `Unit ${unit} is not the unit ${orderUnit} of order ${orderId}`,
      'ConfirmationUnit',
    );
  }
  const yieldQty = Number(input.ConfirmationYieldQuantity ?? 0);
  const scrap = Number(input.ConfirmationScrapQuantity ?? 0);
  const rework = Number(input.ConfirmationReworkQuantity ?? 0);
  if (yieldQty < 0 || scrap < 0 || rework < 0)
    throw businessError('ZSIM_PP/017', 'Quantities may not be negative', 'ConfirmationYieldQuantity');
  const open = Number(op.OpPlannedTotalQuantity) - Number(op.OpTotalConfirmedYieldQty) - Number(op._ConfirmedScrap);
  if (yieldQty + scrap > open + 1e-9) {
    throw businessError(
      'ZSIM_PP/003',
      `Confirmed quantity ${yieldQty + scrap} ${unit} exceeds the open quantity ${open} ${unit} ` +
        `of operation ${operation} in order ${orderId}`,
      'ConfirmationYieldQuantity',
    );
  }
  const plant = String(order.header.ProductionPlant);
  const materials = items.map((item, index) => checkGoodsMovement(store, item, plant, index));

  const group = String(op._ConfirmationGroup);
  const count = Number(op._ConfirmationCounter) + 1;
  store.set(op, '_ConfirmationCounter', count);
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const finalType =
    input.FinalConfirmationType === undefined
      ? input.IsFinalConfirmation
        ? 'X'
        : ''
      : String(input.FinalConfirmationType);
  const row: Row = {
    ...input,
    ConfirmationGroup: group,
    ConfirmationCount: String(count),
    OrderType: order.header.ManufacturingOrderType,
    Material: order.header.Material,
    Plant: plant,
    Sequence: input.Sequence ?? op.ManufacturingOrderSequence,
    WorkCenter: input.WorkCenter || op.WorkCenter,
    ConfirmationUnit: unit,
    FinalConfirmationType: finalType,
    IsFinalConfirmation: input.IsFinalConfirmation ?? finalType === 'X',
    IsReversed: false,
    IsReversal: false,
    ConfirmationEntryDate: today,
    ConfirmationEntryTime: now.getTime() - today.getTime(),
    PostingDate: input.PostingDate ?? today,
  };
  const document = items.length ? store.nextNumber('document') : '';
  const record: ConfirmationRecord = {
    row,
    items: items.map((item, index) => ({
      ...item,
      ConfirmationGroup: group,
      ConfirmationCount: String(count),
      MaterialDocument: document,
      MaterialDocumentItem: String(index + 1).padStart(4, '0'),
      MaterialDocumentYear: String(now.getUTCFullYear()),
      OrderID: item.OrderID || orderId,
      Plant: item.Plant || plant,
    })),
  };
  applyQuantities(store, order, op, record, 1);
  record.items.forEach((item, index) => {
    if (item.GoodsMovementType === '101' && item.Batch) store.addBatch(materials[index], String(item.Batch));
  });
  if (row.IsFinalConfirmation) store.set(op, 'OperationIsConfirmed', 'X');
  store.storeConfirmation(record);
  return record;
}

/** Adds (sign 1) or takes back (sign -1) a confirmation's quantities and withdrawals. */
export function applyQuantities(
  store: SimStore,
  order: OrderRecord,
  op: Row,
  record: ConfirmationRecord,
  sign: 1 | -1,
): void {
  const yieldQty = Number(record.row.ConfirmationYieldQuantity ?? 0) * sign;
  store.set(op, 'OpTotalConfirmedYieldQty', Number(op.OpTotalConfirmedYieldQty) + yieldQty);
  store.set(
    op,
    '_ConfirmedScrap',
    Number(op._ConfirmedScrap) + Number(record.row.ConfirmationScrapQuantity ?? 0) * sign,
  );
  if (op === order.operations.at(-1)) {
    store.set(order.header, 'MfgOrderConfirmedYieldQty', Number(order.header.MfgOrderConfirmedYieldQty) + yieldQty);
  }
  for (const item of record.items) {
    const component = order.components.find((c) => c.Material === item.Material);
    if (!component) continue;
    const issued = item.GoodsMovementType === '261' ? 1 : item.GoodsMovementType === '262' ? -1 : 0;
    const delta = Number(item.QuantityInEntryUnit ?? 0) * issued * sign;
    if (delta !== 0) store.set(component, 'WithdrawnQuantity', Number(component.WithdrawnQuantity) + delta);
  }
}
