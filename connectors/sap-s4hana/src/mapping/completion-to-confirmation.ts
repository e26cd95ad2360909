// The hub's completion data -> the body of POST ProdnOrdConf2 with its goods movements (pure).
// Problems name the mapping field to fix; the runtime sends such a delivery to dead letters, and a replay
// after the fix posts it with the same key.

import type { ConfirmationPayload, GoodsMovementPayload } from '../confirmations.js';
import { externalConfirmationId } from '../idempotency.js';
import { formatDecimal, formatODataDate, formatODataTime } from '../odata/values.js';
import { plantMapping } from './order-to-draft.js';
import { toLocal } from './time.js';
import type { MappingIssue, PlantMapping, SapMapping } from './types.js';

export interface ConsumedLot {
  lotNumber: string;
  /** Hub material definition code. */
  materialDefinition: string;
  quantity: number;
  unitOfMeasure: string;
  /** Hub equipment path of the storage zone the lot was taken from. */
  location?: string;
}

export interface ProducedLot {
  lotNumber: string;
  /** Hub equipment path of the storage zone the lot goes to. */
  location?: string;
}

/** What the hub knows when an order (or an operation) is completed. */
export interface CompletionData {
  /** The delivery's idempotency key; sent as ExternalSystemConfirmation (a GUID derived from it). */
  idempotencyKey: string;
  /** SAP order number (the hub order number). */
  order: string;
  /** SAP operation to confirm; the draft's source.finalOperation for a whole order. */
  operation: string;
  /** SAP plant of the order (the draft's source.plant). */
  plant: string;
  /** SAP material of the order's header (the draft's source.material), for the goods receipt. */
  material?: string;
  /** SAP unit of the order (the draft's source.unit); default: the hub unit mapped back. */
  orderUnit?: string;
  yield: number;
  scrap: number;
  rework: number;
  /** Hub unit of yield, scrap and rework. */
  unitOfMeasure: string;
  final: boolean;
  /** The plant-local day of this instant is SAP's posting date. */
  postingDate: Date;
  startedAt?: Date;
  finishedAt?: Date;
  /** Hub equipment path that ran the operation; mapped back to the SAP work center. */
  equipment?: string;
  /** Hub employee ids; the first with an SAP personnel number is sent. */
  personnel?: string[];
  consumedLots: ConsumedLot[];
  producedLot?: ProducedLot;
  text?: string;
}

export type ConfirmationMappingResult =
  | { ok: true; payload: ConfirmationPayload }
  | { ok: false; problems: MappingIssue[] };

export function mapCompletionToConfirmation(data: CompletionData, mapping: SapMapping): ConfirmationMappingResult {
  const problems: MappingIssue[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  const plant = plantMapping(mapping, data.plant);
  if (!plant) problem('plants', `plant "${data.plant}" of order ${data.order} is not in the mapping`);
  for (const [name, value] of [
    ['yield', data.yield],
    ['scrap', data.scrap],
    ['rework', data.rework],
  ] as const) {
    if (!(value >= 0) || !Number.isFinite(value)) problem(name, `${name} must be a number of at least 0, not ${value}`);
  }

  const unit = data.orderUnit ?? sapUnit(mapping, data.unitOfMeasure, problem);
  const zone = plant?.timeZone;
  const payload: ConfirmationPayload = {
    OrderID: data.order,
    OrderOperation: data.operation,
    ExternalSystemConfirmation: externalConfirmationId(data.idempotencyKey),
    ConfirmationYieldQuantity: decimal(data.yield),
    ConfirmationScrapQuantity: decimal(data.scrap),
    ConfirmationReworkQuantity: decimal(data.rework),
    ConfirmationUnit: unit ?? '',
    // FinalConfirmationType: "X" final, "" partial ("1" would let SAP decide).
    FinalConfirmationType: data.final ? 'X' : '',
    IsFinalConfirmation: data.final,
    PostingDate: sapDate(data.postingDate, zone),
  };
  if (data.text) payload.ConfirmationText = data.text.slice(0, 40);
  if (data.startedAt) {
    payload.ConfirmedExecutionStartDate = sapDate(data.startedAt, zone);
    payload.ConfirmedExecutionStartTime = sapTime(data.startedAt, zone);
  }
  if (data.finishedAt) {
    payload.ConfirmedExecutionEndDate = sapDate(data.finishedAt, zone);
    payload.ConfirmedExecutionEndTime = sapTime(data.finishedAt, zone);
  }
  if (data.equipment && plant) {
    const workCenter = Object.entries(plant.workCenters).find(([, path]) => path === data.equipment)?.[0];
    if (workCenter === undefined)
      problem(
        `plants[${mapping.plants.indexOf(plant)}].workCenters`,
        `no work center is mapped to equipment "${data.equipment}"`,
      );
    else payload.WorkCenter = workCenter;
  }
  const personnel = personnelNumber(mapping, data.personnel ?? [], problem);
  if (personnel) payload.Personnel = personnel;

  const movements: GoodsMovementPayload[] = [];
  const settings = mapping.confirmation ?? {};
  data.consumedLots.forEach((lot, index) => {
    const at = `consumedLots[${index}]`;
    const material = sapMaterial(mapping, lot.materialDefinition, `${at} (lot ${lot.lotNumber})`, problem);
    const entryUnit = sapUnit(mapping, lot.unitOfMeasure, problem);
    const storageLocation = plant ? storageLocationOf(plant, lot.location) : undefined;
    if (plant && storageLocation === undefined) {
      problem(
        `plants[${mapping.plants.indexOf(plant)}].storageLocations`,
        `lot ${lot.lotNumber} is at "${lot.location ?? '(no location)'}", which maps to no storage location, ` +
          'and the plant has no defaultStorageLocation',
      );
    }
    batchProblem(lot.lotNumber, at, problem);
    if (!(lot.quantity > 0)) problem(`${at}.quantity`, `lot ${lot.lotNumber}: a consumed quantity must be above 0`);
    movements.push({
      GoodsMovementType: settings.consumptionMovementType ?? '261',
      Material: material ?? '',
      Plant: data.plant,
      StorageLocation: storageLocation ?? '',
      Batch: lot.lotNumber,
      QuantityInEntryUnit: decimal(lot.quantity),
      EntryUnit: entryUnit ?? '',
      OrderID: data.order,
    });
  });

  if (settings.goodsReceipt && data.yield > 0) {
    const storageLocation = plant
      ? (storageLocationOf(plant, data.producedLot?.location) ?? plant.receiptStorageLocation)
      : undefined;
    if (plant && storageLocation === undefined) {
      problem(
        `plants[${mapping.plants.indexOf(plant)}].receiptStorageLocation`,
        'a goods receipt needs a storage location',
      );
    }
    if (!data.material)
      problem('material', "a goods receipt needs the SAP material of the order (the draft's source.material)");
    if (data.producedLot) batchProblem(data.producedLot.lotNumber, 'producedLot', problem);
    movements.push({
      GoodsMovementType: settings.receiptMovementType ?? '101',
      Material: data.material ?? '',
      Plant: data.plant,
      StorageLocation: storageLocation ?? '',
      ...(data.producedLot ? { Batch: data.producedLot.lotNumber } : {}),
      QuantityInEntryUnit: decimal(data.yield),
      EntryUnit: unit ?? '',
      OrderID: data.order,
      GoodsMovementRefDocType: 'F',
    });
  }
  if (movements.length) payload.to_ProdnOrdConfMatlDocItm = movements;
  return problems.length ? { ok: false, problems } : { ok: true, payload };
}

type Problem = (path: string, message: string) => void;

/** The SAP unit for a hub unit: outboundUnits first, else the one SAP unit mapped to it. */
export function sapUnit(mapping: SapMapping, hubUnit: string, problem: Problem): string | undefined {
  const chosen = mapping.outboundUnits?.[hubUnit];
  if (chosen) return chosen;
  const candidates = Object.entries(mapping.units)
    .filter(([, hub]) => hub === hubUnit)
    .map(([sap]) => sap);
  if (candidates.length === 1) return candidates[0];
  problem(
    candidates.length ? `outboundUnits.${hubUnit}` : 'units',
    candidates.length
      ? `hub unit "${hubUnit}" maps back to ${candidates.join(' and ')}; choose one in outboundUnits`
      : `hub unit "${hubUnit}" is not mapped from any SAP unit`,
  );
  return undefined;
}

function sapMaterial(mapping: SapMapping, code: string, what: string, problem: Problem): string | undefined {
  const found = Object.entries(mapping.materials).find(([, hub]) => hub === code)?.[0];
  if (found === undefined) problem('materials', `${what}: hub material "${code}" is not mapped from an SAP material`);
  return found;
}

function storageLocationOf(plant: PlantMapping, location: string | undefined): string | undefined {
  const mapped = location
    ? Object.entries(plant.storageLocations ?? {}).find(([, path]) => path === location)?.[0]
    : undefined;
  return mapped ?? plant.defaultStorageLocation;
}

function personnelNumber(mapping: SapMapping, employees: string[], problem: Problem): string | undefined {
  if (!mapping.personnel || employees.length === 0) return undefined;
  const found = employees.map((id) => mapping.personnel?.[id]).find((n) => n !== undefined);
  if (found === undefined)
    problem('personnel', `none of the employees ${employees.join(', ')} has an SAP personnel number`);
  return found;
}

/** SAP batches are at most 10 characters (CHARG). */
function batchProblem(lotNumber: string, at: string, problem: Problem): void {
  if (lotNumber.length > 10)
    problem(`${at}.lotNumber`, `lot number "${lotNumber}" is longer than SAP's 10-character batch`);
}

function decimal(value: number): string {
  return Number.isFinite(value) ? formatDecimal(value) : '0';
}

/** The plant-local calendar day of an instant as Edm.DateTime (UTC midnight of that day). */
function sapDate(instant: Date, timeZone?: string): string {
  return formatODataDate(new Date(`${toLocal(instant, timeZone).slice(0, 10)}T00:00:00Z`));
}

function sapTime(instant: Date, timeZone?: string): string {
  const [h, m, s] = toLocal(instant, timeZone).slice(11).split(':').map(Number);
  return formatODataTime(((h * 60 + m) * 60 + s) * 1000);
}
