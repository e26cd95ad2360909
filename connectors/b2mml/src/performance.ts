// OperationsPerformance out: a completed work order that came from an OperationsRequest becomes one
// ProcessOperationsPerformance with one OperationsResponse and its SegmentResponse: the actual times,
// the equipment that ran it, the lots consumed and the lot produced, scrap and rework as SegmentData.

import { EXTERNAL_REFERENCE_PREFIX } from './schedule.js';
import { applicationArea } from './messages.js';
import { type XmlOut, writeDocument } from './xml.js';

/** A completed order as the hub shows it (the fields the performance needs). */
export interface CompletedOrder {
  number: string;
  state: string;
  externalReference: string | null;
  quantity: number;
  unitOfMeasure: string;
  producedLot: string | null;
  actualStart: string | null;
  actualEnd: string | null;
  equipment: { path: string; level: string };
  productDefinitionVersion: { productDefinition: { code: string } };
  counts: { goodQuantity: number; scrapQuantity: number; reworkQuantity: number };
  reservations: {
    consumedQuantity: number;
    lot: { lotNumber: string; unitOfMeasure: string; materialDefinition: { code: string } };
  }[];
}

/** The produced lot as the hub shows it. */
export interface ProducedLot {
  lotNumber: string;
  quantity: number;
  unitOfMeasure: string;
  materialDefinition: { code: string };
}

/** The OperationsRequest an order came from; null when it did not come from B2MML. */
export function requestIdOf(order: { externalReference: string | null }): string | null {
  const reference = order.externalReference;
  return reference?.startsWith(EXTERNAL_REFERENCE_PREFIX) ? reference.slice(EXTERNAL_REFERENCE_PREFIX.length) : null;
}

const quantity = (value: number, unit: string): XmlOut => ({
  QuantityString: String(value),
  DataType: 'double',
  UnitOfMeasure: unit,
});

/** The ProcessOperationsPerformance of one completed order; `bodId` is the delivery's idempotency key. */
export function performanceDocument(
  instance: string,
  bodId: string,
  order: CompletedOrder,
  produced: ProducedLot | null,
  at = new Date(),
): string {
  const requestId = requestIdOf(order) ?? order.number;
  const product = order.productDefinitionVersion.productDefinition.code;
  const scope = { EquipmentID: order.equipment.path, EquipmentLevel: order.equipment.level };
  const materials: XmlOut[] = order.reservations
    .filter((r) => r.consumedQuantity > 0)
    .map((r, i) => ({
      ID: `consumed-${i + 1}`,
      MaterialDefinitionID: r.lot.materialDefinition.code,
      MaterialLotID: r.lot.lotNumber,
      MaterialUse: 'Consumed',
      Quantity: quantity(r.consumedQuantity, r.lot.unitOfMeasure),
    }));
  if (produced)
    materials.push({
      ID: 'produced',
      MaterialDefinitionID: produced.materialDefinition.code,
      MaterialLotID: produced.lotNumber,
      MaterialUse: 'Produced',
      Quantity: quantity(produced.quantity, produced.unitOfMeasure),
    });
  const data = (id: string, value: number): XmlOut => ({
    ID: id,
    Value: { ValueString: String(value), DataType: 'double', UnitOfMeasure: order.unitOfMeasure },
  });
  return writeDocument('ProcessOperationsPerformance', {
    ApplicationArea: applicationArea(instance, bodId, at),
    DataArea: {
      Process: {},
      OperationsPerformance: {
        ID: order.number,
        PublishedDate: at.toISOString(),
        OperationsType: 'Production',
        PerformanceState: 'Completed',
        OperationsResponse: {
          ID: order.number,
          StartTime: order.actualStart ?? undefined,
          EndTime: order.actualEnd ?? undefined,
          HierarchyScope: scope,
          OperationsType: 'Production',
          OperationsRequestID: requestId,
          OperationsDefinitionID: product,
          ResponseState: 'Completed',
          SegmentResponse: {
            ID: order.number,
            ActualStartTime: order.actualStart ?? undefined,
            ActualEndTime: order.actualEnd ?? undefined,
            HierarchyScope: scope,
            OperationsType: 'Production',
            OperationsRequestID: requestId,
            OperationsDefinitionID: product,
            SegmentState: 'Completed',
            SegmentData: [
              data('GoodQuantity', order.counts.goodQuantity),
              data('ScrapQuantity', order.counts.scrapQuantity),
              data('ReworkQuantity', order.counts.reworkQuantity),
            ],
            EquipmentActual: { ID: 'equipment-1', EquipmentID: order.equipment.path },
            MaterialActual: materials,
          },
        },
      },
    },
  });
}
