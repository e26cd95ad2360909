// OperationsSchedule in: each production OperationsRequest becomes one work order Draft through the
// hub's idempotent batch import. The request's ID is the order number and, prefixed, its external
// reference, so a schedule sent again updates the Drafts (or answers Unchanged) and never duplicates.
//
// Where an order's fields come from (B2MML V0701 element paths below an OperationsRequest):
// - product definition: OperationsDefinitionID, else the segment's (required there);
// - quantity and unit: the SegmentRequirement's MaterialRequirement with MaterialUse `Produced`;
// - equipment (a hub path): the segment's EquipmentRequirement/EquipmentID, else the request's, then the
//   schedule's HierarchyScope/EquipmentID;
// - planned window: StartTime/EndTime, else the segment's EarliestStartTime/LatestEndTime.

import type { ImportReason } from '@plantgraph/connector-sdk';
import { child, children, text, texts, type XmlNode } from './xml.js';

/** Prefix of the hub's external reference of an order from a B2MML OperationsRequest. */
export const EXTERNAL_REFERENCE_PREFIX = 'b2mml:';

/** What `importWorkOrders` takes for one order. */
export interface WorkOrderDraft {
  number: string;
  productDefinition: string;
  quantity: number;
  unitOfMeasure: string | null;
  equipment: string;
  plannedStart: string | null;
  plannedEnd: string | null;
  externalReference: string;
}

export type RequestMapping =
  | { ok: true; requestId: string; draft: WorkOrderDraft }
  | { ok: false; requestId: string; reasons: ImportReason[] };

/** States of a request that still asks for production; the others are not imported. */
const OPEN_STATES = new Set(['Forecast', 'Released', 'Waiting', 'Ready']);

/** Maps every OperationsRequest of every OperationsSchedule of a Process/Sync message's DataArea. */
export function readSchedules(dataArea: XmlNode): RequestMapping[] {
  const mappings: RequestMapping[] = [];
  const seen = new Set<string>();
  children(dataArea, 'OperationsSchedule').forEach((schedule, s) => {
    children(schedule, 'OperationsRequest').forEach((request, r) => {
      const path = `OperationsSchedule[${s + 1}]/OperationsRequest[${r + 1}]`;
      const mapped = mapRequest(schedule, request, path);
      if (mapped.ok && seen.has(mapped.requestId))
        mappings.push(
          refuse(
            mapped.requestId,
            'DuplicateRequest',
            `${path}/ID`,
            'appears twice in the document; send each request once',
          ),
        );
      else mappings.push(mapped);
      seen.add(mapped.requestId);
    });
  });
  return mappings;
}

function refuse(requestId: string, code: string, field: string, message: string, value?: string): RequestMapping {
  return { ok: false, requestId, reasons: [{ code, field, value, message: `${field} ${message}` }] };
}

/** One OperationsRequest as a Draft, or why not, naming the element to fix. */
export function mapRequest(schedule: XmlNode, request: XmlNode, path: string): RequestMapping {
  const requestId = text(request, 'ID') ?? '';
  const type = text(request, 'OperationsType') ?? text(schedule, 'OperationsType') ?? 'Production';
  if (type !== 'Production')
    return refuse(
      requestId,
      'NotProduction',
      `${path}/OperationsType`,
      `is ${type}: only Production requests become work orders`,
      type,
    );
  const state = text(request, 'RequestState');
  if (state && !OPEN_STATES.has(state))
    return refuse(
      requestId,
      'RequestState',
      `${path}/RequestState`,
      `is ${state}: only Forecast, Released, Waiting or Ready requests are imported (cancel an order in the hub)`,
      state,
    );
  const segments = children(request, 'SegmentRequirement');
  let produced: { segment: XmlNode; index: number; material: XmlNode; m: number } | undefined;
  segments.forEach((segment, index) => {
    children(segment, 'MaterialRequirement').forEach((material, m) => {
      if (!produced && text(material, 'MaterialUse') === 'Produced') produced = { segment, index, material, m };
    });
  });
  if (!produced)
    return refuse(
      requestId,
      'NoProducedMaterial',
      `${path}/SegmentRequirement/MaterialRequirement`,
      'is missing: give one with MaterialUse Produced and the Quantity to make',
    );
  const { segment, index, material, m } = produced;
  const segmentPath = `${path}/SegmentRequirement[${index + 1}]`;
  const materialPath = `${segmentPath}/MaterialRequirement[${m + 1}]`;
  const quantityNode = child(material, 'Quantity');
  const quantityText = text(quantityNode, 'QuantityString');
  const quantity = Number(quantityText);
  if (quantityText === undefined || !Number.isFinite(quantity) || quantity <= 0)
    return refuse(
      requestId,
      'InvalidQuantity',
      `${materialPath}/Quantity/QuantityString`,
      'must be a number above zero (the quantity to make)',
      quantityText,
    );
  const productDefinition = text(request, 'OperationsDefinitionID') ?? text(segment, 'OperationsDefinitionID');
  if (!productDefinition)
    return refuse(
      requestId,
      'NoProductDefinition',
      `${segmentPath}/OperationsDefinitionID`,
      'must name a product definition code',
    );
  const equipment =
    children(segment, 'EquipmentRequirement').flatMap((e) => texts(e, 'EquipmentID'))[0] ??
    text(child(request, 'HierarchyScope'), 'EquipmentID') ??
    text(child(schedule, 'HierarchyScope'), 'EquipmentID');
  if (!equipment)
    return refuse(
      requestId,
      'NoEquipment',
      `${segmentPath}/EquipmentRequirement/EquipmentID`,
      'is missing: name the hub equipment path that runs the order (or give the request a HierarchyScope)',
    );
  return {
    ok: true,
    requestId,
    draft: {
      number: requestId,
      productDefinition,
      quantity,
      unitOfMeasure: text(quantityNode, 'UnitOfMeasure') ?? null,
      equipment,
      plannedStart: text(request, 'StartTime') ?? text(segment, 'EarliestStartTime') ?? null,
      plannedEnd: text(request, 'EndTime') ?? text(segment, 'LatestEndTime') ?? null,
      externalReference: `${EXTERNAL_REFERENCE_PREFIX}${requestId}`,
    },
  };
}
