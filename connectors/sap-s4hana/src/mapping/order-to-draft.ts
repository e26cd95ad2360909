// SAP production order -> the hub's work order draft (pure). An order is imported whole or not at all:
// every reason it cannot be is collected, so the integration engineer fixes the mapping once.

import type { SapProductionOrder } from '../production-orders.js';
import { fromLocal } from './time.js';
import type { PlantMapping, SapMapping } from './types.js';

export type RejectionCode =
  | 'UnknownPlant'
  | 'UnknownWorkCenter'
  | 'UnknownMaterial'
  | 'UnknownProduct'
  | 'UnknownUnit'
  | 'OrderNotImportable'
  | 'InvalidOrder';

export interface Rejection {
  code: RejectionCode;
  /** The SAP field that carries the value, e.g. "to_ProductionOrderOperation[0020].WorkCenter". */
  field: string;
  value: string;
  message: string;
}

export interface OperationDraft {
  operation: string;
  sequence: string;
  text: string;
  workCenter: string;
  /** Hub equipment path of the work center. */
  equipment: string;
  quantity: number;
  unitOfMeasure: string;
  plannedStart?: string;
  plannedEnd?: string;
}

export interface MaterialRequirementDraft {
  /** Hub material definition code. */
  materialDefinition: string;
  quantity: number;
  unitOfMeasure: string;
  /** The SAP operation that consumes it. */
  operation: string;
  /** Hub equipment path of the storage zone, when SAP's storage location is mapped. */
  storageLocation?: string;
  /** A batch SAP already assigned. */
  batch?: string;
  backflush: boolean;
  reservation: string;
  reservationItem: string;
}

/** What the hub needs to create (or update) the Draft work order, plus SAP's references for the way back. */
export interface WorkOrderDraft {
  /** The hub order number: SAP's order number. */
  number: string;
  productDefinition: string;
  quantity: number;
  unitOfMeasure: string;
  /** Hub equipment path that runs the order: the work center of its first operation. */
  equipment: string;
  site: string;
  /** ISO 8601 instants. */
  plannedStart?: string;
  plannedEnd?: string;
  operations: OperationDraft[];
  materialRequirements: MaterialRequirementDraft[];
  source: {
    system: 'sap-s4hana';
    order: string;
    orderType: string;
    plant: string;
    material: string;
    productionVersion: string;
    /** SAP unit of the order quantity: confirmations are posted in it. */
    unit: string;
    /** The operation a completion confirms: the last one. */
    finalOperation: string;
    released: boolean;
    lastChange?: string;
    etag?: string;
  };
}

export type OrderMappingResult =
  | { ok: true; draft: WorkOrderDraft }
  | { ok: false; order: string; rejections: Rejection[] };

export function plantMapping(mapping: SapMapping, plant: string): PlantMapping | undefined {
  return mapping.plants.find((p) => p.plant === plant);
}

export function mapOrderToDraft(order: SapProductionOrder, mapping: SapMapping): OrderMappingResult {
  const rejections: Rejection[] = [];
  const reject = (code: RejectionCode, field: string, value: string, message: string) =>
    rejections.push({ code, field, value, message });

  const status = order.isMarkedForDeletion
    ? 'marked for deletion'
    : order.isClosed
      ? 'closed'
      : order.isTechnicallyCompleted
        ? 'technically completed'
        : undefined;
  if (status)
    reject('OrderNotImportable', 'ManufacturingOrder', order.order, `order ${order.order} is ${status} in SAP`);
  if (!(order.quantity > 0))
    reject('InvalidOrder', 'TotalQuantity', String(order.quantity), `order ${order.order} has no quantity`);
  if (order.operations.length === 0) {
    reject(
      'InvalidOrder',
      'to_ProductionOrderOperation',
      '',
      `order ${order.order} has no operations (were they expanded?)`,
    );
  }

  const plant = plantMapping(mapping, order.plant);
  if (!plant) {
    reject(
      'UnknownPlant',
      'ProductionPlant',
      order.plant,
      `plant "${order.plant}" is not mapped to a hub site (mapping.plants)`,
    );
  }
  const productDefinition = mapping.products[order.material];
  if (productDefinition === undefined) {
    reject(
      'UnknownProduct',
      'Material',
      order.material,
      `material "${order.material}" has no product definition (mapping.products)`,
    );
  }
  const unit = hubUnit(mapping, order.unit);
  if (unit === undefined) reject('UnknownUnit', 'ProductionUnit', order.unit, unitMessage(order.unit));

  const operations: OperationDraft[] = [];
  for (const op of order.operations) {
    const field = `to_ProductionOrderOperation[${op.operation}]`;
    const equipment = plant?.workCenters[op.workCenter];
    if (plant && equipment === undefined) {
      reject(
        'UnknownWorkCenter',
        `${field}.WorkCenter`,
        op.workCenter,
        `work center "${op.workCenter}" (operation ${op.operation}) is not mapped to equipment in plant ${order.plant}`,
      );
    }
    const opUnit = op.unit === '' ? unit : hubUnit(mapping, op.unit);
    if (opUnit === undefined && op.unit !== order.unit)
      reject('UnknownUnit', `${field}.OperationUnit`, op.unit, unitMessage(op.unit));
    operations.push({
      operation: op.operation,
      sequence: op.sequence,
      text: op.text,
      workCenter: op.workCenter,
      equipment: equipment ?? '',
      quantity: op.quantity,
      unitOfMeasure: opUnit ?? '',
      plannedStart: instant(op.plannedStart, plant),
      plannedEnd: instant(op.plannedEnd, plant),
    });
  }

  const materialRequirements: MaterialRequirementDraft[] = [];
  for (const component of order.components) {
    // Phantom items are exploded into their own components; bulk material is not issued per order.
    if (component.isPhantom || component.isBulk) continue;
    const field = `to_ProductionOrderComponent[${component.reservation}/${component.reservationItem}]`;
    const material = mapping.materials[component.material];
    if (material === undefined) {
      reject(
        'UnknownMaterial',
        `${field}.Material`,
        component.material,
        `component material "${component.material}" is not mapped to a hub material definition (mapping.materials)`,
      );
    }
    const componentUnit = hubUnit(mapping, component.unit);
    if (componentUnit === undefined)
      reject('UnknownUnit', `${field}.BaseUnit`, component.unit, unitMessage(component.unit));
    materialRequirements.push({
      materialDefinition: material ?? '',
      quantity: component.requiredQuantity,
      unitOfMeasure: componentUnit ?? '',
      operation: component.operation,
      storageLocation: plant?.storageLocations?.[component.storageLocation],
      batch: component.batch || undefined,
      backflush: component.isBackflush,
      reservation: component.reservation,
      reservationItem: component.reservationItem,
    });
  }

  if (rejections.length || !plant || productDefinition === undefined || unit === undefined) {
    return { ok: false, order: order.order, rejections };
  }
  return {
    ok: true,
    draft: {
      number: order.order,
      productDefinition,
      quantity: order.quantity,
      unitOfMeasure: unit,
      equipment: operations[0].equipment,
      site: plant.site,
      plannedStart: instant(order.plannedStart, plant),
      plannedEnd: instant(order.plannedEnd, plant),
      operations,
      materialRequirements,
      source: {
        system: 'sap-s4hana',
        order: order.order,
        orderType: order.orderType,
        plant: order.plant,
        material: order.material,
        productionVersion: order.productionVersion,
        unit: order.unit,
        finalOperation: operations[operations.length - 1].operation,
        released: order.isReleased,
        lastChange: order.lastChange?.toISOString(),
        etag: order.etag,
      },
    },
  };
}

export function hubUnit(mapping: SapMapping, sapUnit: string): string | undefined {
  return mapping.units[sapUnit];
}

function unitMessage(sapUnit: string): string {
  return `SAP unit "${sapUnit}" is not mapped to a hub unit (mapping.units)`;
}

function instant(local: string | undefined, plant: PlantMapping | undefined): string | undefined {
  return local ? fromLocal(local, plant?.timeZone).toISOString() : undefined;
}
