// The simulated SAP system's data: materials with batches, production orders with operations and
// components, confirmations with their goods movements. Every change goes through set/append so a
// $batch changeset can be rolled back as a whole, as Gateway's changesets are atomic.

import type { Row, Value } from './edm.js';

export interface MaterialSpec {
  material: string;
  plant: string;
  baseUnit?: string;
  /** Batch-managed materials need a known batch on goods issue. */
  batches?: string[];
}

export interface OperationSpec {
  operation: string;
  workCenter: string;
  text?: string;
  sequence?: string;
  /** Default: the order quantity. */
  quantity?: number;
  controlProfile?: string;
}

export interface ComponentSpec {
  material: string;
  quantity: number;
  unit?: string;
  operation?: string;
  storageLocation?: string;
  batch?: string;
  backflush?: boolean;
  phantom?: boolean;
  bulk?: boolean;
}

export interface OrderSpec {
  order: string;
  material: string;
  plant?: string;
  quantity: number;
  unit?: string;
  orderType?: string;
  productionVersion?: string;
  /** Plant-local "YYYY-MM-DDTHH:mm:ss". */
  plannedStart?: string;
  plannedEnd?: string;
  released?: boolean;
  /** Default: now (strictly after the previous change). */
  changedAt?: Date;
  operations: OperationSpec[];
  components?: ComponentSpec[];
}

export interface OrderRecord {
  header: Row;
  operations: Row[];
  components: Row[];
}

export interface MaterialRecord {
  material: string;
  plant: string;
  baseUnit: string;
  batches: Set<string>;
  batchManaged: boolean;
}

export interface ConfirmationRecord {
  row: Row;
  items: Row[];
}

/** Splits a plant-local "YYYY-MM-DDTHH:mm:ss" into SAP's date (UTC midnight) and time (ms). */
export function splitLocal(local: string | undefined): [Date | null, number] {
  if (!local) return [null, 0];
  const date = new Date(`${local.slice(0, 10)}T00:00:00Z`);
  const [h = 0, m = 0, s = 0] = local.slice(11).split(':').map(Number);
  return [date, ((h * 60 + m) * 60 + s) * 1000];
}

export class SimStore {
  readonly orders = new Map<string, OrderRecord>();
  readonly materials = new Map<string, MaterialRecord>();
  readonly confirmations: ConfirmationRecord[] = [];
  readonly byExternalKey = new Map<string, ConfirmationRecord[]>();
  private lastChange = 0;
  private internalId = 100000;
  private confirmationGroup = 1000;
  private materialDocument = 4900000000;
  private undo?: (() => void)[];

  // --- transactions (changesets) ---

  begin(): void {
    this.undo = [];
  }

  commit(): void {
    this.undo = undefined;
  }

  rollback(): void {
    const undo = this.undo ?? [];
    this.undo = undefined;
    for (const step of undo.reverse()) step();
  }

  set(row: Row, field: string, value: Value): void {
    const before = row[field];
    row[field] = value;
    this.undo?.push(() => {
      row[field] = before;
    });
  }

  append<T>(list: T[], item: T): void {
    list.push(item);
    this.undo?.push(() => {
      list.splice(list.lastIndexOf(item), 1);
    });
  }

  addBatch(material: MaterialRecord, batch: string): void {
    if (material.batches.has(batch)) return;
    material.batches.add(batch);
    this.undo?.push(() => material.batches.delete(batch));
  }

  nextNumber(kind: 'group' | 'document'): string {
    if (kind === 'group') return String(++this.confirmationGroup);
    const value = ++this.materialDocument;
    this.undo?.push(() => {
      if (this.materialDocument === value) this.materialDocument--;
    });
    return String(value);
  }

  storeConfirmation(record: ConfirmationRecord): void {
    this.append(this.confirmations, record);
    const key = String(record.row.ExternalSystemConfirmation ?? '');
    if (!key) return;
    const list = this.byExternalKey.get(key) ?? [];
    this.byExternalKey.set(key, list);
    this.append(list, record);
  }

  // --- master data and orders ---

  material(material: string, plant: string): MaterialRecord | undefined {
    return this.materials.get(`${plant}|${material}`);
  }

  addMaterial(spec: MaterialSpec): MaterialRecord {
    const existing = this.material(spec.material, spec.plant);
    const record: MaterialRecord = existing ?? {
      material: spec.material,
      plant: spec.plant,
      baseUnit: spec.baseUnit ?? 'ST',
      batches: new Set(),
      batchManaged: false,
    };
    if (spec.baseUnit) record.baseUnit = spec.baseUnit;
    for (const batch of spec.batches ?? []) record.batches.add(batch);
    if (spec.batches) record.batchManaged = true;
    this.materials.set(`${spec.plant}|${spec.material}`, record);
    return record;
  }

  /** A change time strictly after the previous one, so keyset paging has an order to follow. */
  changeTime(at?: Date): Date {
    if (at) {
      this.lastChange = Math.max(this.lastChange, at.getTime());
      return at;
    }
    this.lastChange = Math.max(Date.now(), this.lastChange + 1);
    return new Date(this.lastChange);
  }

  addOrder(spec: OrderSpec): OrderRecord {
    const plant = spec.plant ?? '1710';
    const unit = spec.unit ?? 'ST';
    const changedAt = this.changeTime(spec.changedAt);
    const internal = String(++this.internalId);
    const [startDate, startTime] = splitLocal(spec.plannedStart);
    const [endDate, endTime] = splitLocal(spec.plannedEnd);
    this.addMaterial({ material: spec.material, plant, baseUnit: unit });
    const header: Row = {
      ManufacturingOrder: spec.order,
      ManufacturingOrderCategory: '10',
      ManufacturingOrderType: spec.orderType ?? 'YBM1',
      OrderIsReleased: spec.released === false ? '' : 'X',
      MfgOrderCreationDate: new Date(
        Date.UTC(changedAt.getUTCFullYear(), changedAt.getUTCMonth(), changedAt.getUTCDate()),
      ),
      LastChangeDateTime: changedAt,
      Material: spec.material,
      ProductionPlant: plant,
      MRPController: '001',
      ProductionVersion: spec.productionVersion ?? '0001',
      MfgOrderPlannedStartDate: startDate,
      MfgOrderPlannedStartTime: startTime,
      MfgOrderPlannedEndDate: endDate,
      MfgOrderPlannedEndTime: endTime,
      ProductionUnit: unit,
      TotalQuantity: spec.quantity,
      MfgOrderPlannedScrapQty: 0,
      MfgOrderConfirmedYieldQty: 0,
    };
    const operations = spec.operations.map(
      (op, index): Row => ({
        OrderInternalBillOfOperations: internal,
        OrderIntBillOfOperationsItem: String(index + 1).padStart(8, '0'),
        ManufacturingOrder: spec.order,
        ManufacturingOrderSequence: op.sequence ?? '0',
        ManufacturingOrderOperation: op.operation,
        MfgOrderOperationText: op.text ?? `Operation ${op.operation}`,
        OperationIsReleased: header.OrderIsReleased,
        OperationIsConfirmed: '',
        ProductionPlant: plant,
        WorkCenter: op.workCenter,
        OperationControlProfile: op.controlProfile ?? 'YBP1',
        OpErlstSchedldExecStrtDte: startDate,
        OpErlstSchedldExecStrtTme: startTime,
        OpErlstSchedldExecEndDte: endDate,
        OpErlstSchedldExecEndTme: endTime,
        OperationUnit: unit,
        OpPlannedTotalQuantity: op.quantity ?? spec.quantity,
        OpTotalConfirmedYieldQty: 0,
        LastChangeDateTime: changedAt,
        // Internal (not in the metadata, never served): SAP's confirmation number of the operation.
        _ConfirmationGroup: this.nextNumber('group'),
        _ConfirmationCounter: 0,
        _ConfirmedScrap: 0,
      }),
    );
    const components = (spec.components ?? []).map((c, index): Row => {
      this.addMaterial({ material: c.material, plant, baseUnit: c.unit });
      return {
        Reservation: internal,
        ReservationItem: String(index + 1).padStart(4, '0'),
        ReservationRecordType: '',
        Material: c.material,
        Plant: plant,
        ManufacturingOrder: spec.order,
        ManufacturingOrderSequence: '0',
        ManufacturingOrderOperation: c.operation ?? spec.operations[0]?.operation ?? '',
        MatlCompRequirementDate: startDate,
        StorageLocation: c.storageLocation ?? '',
        Batch: c.batch ?? '',
        GoodsMovementType: '261',
        MatlCompIsMarkedForBackflush: c.backflush ?? false,
        IsBulkMaterialComponent: c.bulk ?? false,
        MaterialComponentIsPhantomItem: c.phantom ?? false,
        BaseUnit: c.unit ?? 'ST',
        RequiredQuantity: c.quantity,
        WithdrawnQuantity: 0,
      };
    });
    const record = { header, operations, components };
    this.orders.set(spec.order, record);
    return record;
  }
}
