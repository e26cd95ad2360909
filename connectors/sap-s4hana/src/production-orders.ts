// Inbound: production orders from API_PRODUCTION_ORDER_2_SRV.
//
// Polling by change date uses keyset paging on (LastChangeDateTime, ManufacturingOrder) instead of $skip:
// orders changed while a poll pages through would shift a $skip window and be missed or read twice.

import { collectionOf, entityOf, etagOf, expanded, flag, str, type ODataRecord } from './odata/entities.js';
import { SapError } from './odata/errors.js';
import type { ODataTransport } from './odata/transport.js';
import {
  buildQuery,
  dateTimeOffsetLiteral,
  parseDecimal,
  parseODataDate,
  parseODataTime,
  stringLiteral,
} from './odata/values.js';

export const PRODUCTION_ORDER_SERVICE = 'API_PRODUCTION_ORDER_2_SRV';
export const ORDER_SET = 'A_ProductionOrder_2';
export const OPERATIONS_NAV = 'to_ProductionOrderOperation';
export const COMPONENTS_NAV = 'to_ProductionOrderComponent';

// $select: only the fields read below. Gateway serializes every property otherwise (about 80 per order),
// which multiplies the payload of a poll with expanded operations several times.
const ORDER_FIELDS = [
  'ManufacturingOrder',
  'ManufacturingOrderType',
  'Material',
  'ProductionPlant',
  'ProductionVersion',
  'TotalQuantity',
  'ProductionUnit',
  'MfgOrderPlannedScrapQty',
  'MfgOrderPlannedStartDate',
  'MfgOrderPlannedStartTime',
  'MfgOrderPlannedEndDate',
  'MfgOrderPlannedEndTime',
  'OrderIsReleased',
  'OrderIsTechnicallyCompleted',
  'OrderIsClosed',
  'OrderIsMarkedForDeletion',
  'LastChangeDateTime',
];
const OPERATION_FIELDS = [
  'ManufacturingOrderOperation',
  'ManufacturingOrderSequence',
  'MfgOrderOperationText',
  'WorkCenter',
  'ProductionPlant',
  'OperationControlProfile',
  'OpPlannedTotalQuantity',
  'OperationUnit',
  'OpErlstSchedldExecStrtDte',
  'OpErlstSchedldExecStrtTme',
  'OpErlstSchedldExecEndDte',
  'OpErlstSchedldExecEndTme',
  'OperationIsConfirmed',
];
const COMPONENT_FIELDS = [
  'Reservation',
  'ReservationItem',
  'Material',
  'Plant',
  'StorageLocation',
  'Batch',
  'ManufacturingOrderOperation',
  'ManufacturingOrderSequence',
  'RequiredQuantity',
  'WithdrawnQuantity',
  'BaseUnit',
  'GoodsMovementType',
  'MatlCompIsMarkedForBackflush',
  'IsBulkMaterialComponent',
  'MaterialComponentIsPhantomItem',
];
export const ORDER_SELECT = [
  ...ORDER_FIELDS,
  ...OPERATION_FIELDS.map((field) => `${OPERATIONS_NAV}/${field}`),
  ...COMPONENT_FIELDS.map((field) => `${COMPONENTS_NAV}/${field}`),
].join(',');

export interface SapOrderOperation {
  operation: string;
  sequence: string;
  text: string;
  workCenter: string;
  plant: string;
  controlProfile: string;
  quantity: number;
  unit: string;
  /** Plant-local wall-clock time "YYYY-MM-DDTHH:mm:ss" (SAP stores date and time without a zone). */
  plannedStart?: string;
  plannedEnd?: string;
  isConfirmed: boolean;
}

export interface SapOrderComponent {
  reservation: string;
  reservationItem: string;
  material: string;
  plant: string;
  storageLocation: string;
  batch: string;
  operation: string;
  sequence: string;
  requiredQuantity: number;
  withdrawnQuantity: number;
  unit: string;
  goodsMovementType: string;
  isBackflush: boolean;
  isBulk: boolean;
  isPhantom: boolean;
}

export interface SapProductionOrder {
  order: string;
  orderType: string;
  material: string;
  plant: string;
  productionVersion: string;
  quantity: number;
  unit: string;
  plannedScrap: number;
  /** Plant-local wall-clock time "YYYY-MM-DDTHH:mm:ss". */
  plannedStart?: string;
  plannedEnd?: string;
  isReleased: boolean;
  isTechnicallyCompleted: boolean;
  isClosed: boolean;
  isMarkedForDeletion: boolean;
  lastChange?: Date;
  etag?: string;
  /** In execution order (sequence, then operation number). */
  operations: SapOrderOperation[];
  components: SapOrderComponent[];
}

/** "<ISO change time>|<order>": where the last poll stopped. Empty means "from the beginning". */
export type OrderCursor = string;

export interface ListChangedOrdersOptions {
  cursor?: OrderCursor;
  /** Only orders of these plants (ProductionPlant). */
  plants?: string[];
  /** Default 100; Gateway may answer fewer and a "__next" link. */
  pageSize?: number;
  signal?: AbortSignal;
}

export interface OrderPage {
  orders: SapProductionOrder[];
  /** Store it once the page's orders are imported; pass it to the next call. */
  nextCursor: OrderCursor;
  /** Another page is waiting. */
  more: boolean;
}

export function parseCursor(cursor: OrderCursor | undefined): { changedAt: Date; order: string } | undefined {
  if (!cursor) return undefined;
  const [at, order = ''] = cursor.split('|');
  const changedAt = new Date(at);
  if (Number.isNaN(changedAt.getTime()))
    throw new SapError({ kind: 'permanent', message: `invalid order cursor "${cursor}"` });
  return { changedAt, order };
}

export function cursorOf(order: SapProductionOrder): OrderCursor {
  return `${(order.lastChange ?? new Date(0)).toISOString()}|${order.order}`;
}

/** The $filter of a poll: the cursor's keyset condition and the plants. */
export function changedOrdersFilter(cursor: OrderCursor | undefined, plants: string[] = []): string | undefined {
  const conditions: string[] = [];
  const position = parseCursor(cursor);
  if (position) {
    const at = dateTimeOffsetLiteral(position.changedAt);
    conditions.push(
      `(LastChangeDateTime gt ${at} or (LastChangeDateTime eq ${at} and ManufacturingOrder gt ${stringLiteral(position.order)}))`,
    );
  }
  if (plants.length) conditions.push(`(${plants.map((p) => `ProductionPlant eq ${stringLiteral(p)}`).join(' or ')})`);
  return conditions.length ? conditions.join(' and ') : undefined;
}

export async function listChangedOrders(
  transport: ODataTransport,
  options: ListChangedOrdersOptions = {},
): Promise<OrderPage> {
  const pageSize = options.pageSize ?? 100;
  const query = buildQuery({
    $filter: changedOrdersFilter(options.cursor, options.plants),
    $orderby: 'LastChangeDateTime asc,ManufacturingOrder asc',
    $top: pageSize,
    $expand: `${OPERATIONS_NAV},${COMPONENTS_NAV}`,
    $select: ORDER_SELECT,
    $format: 'json',
  });
  const json = await transport.getJson<unknown>(`${ORDER_SET}${query}`, options.signal);
  const { results, next } = collectionOf(json);
  const orders = results.map((record) => toOrder(record));
  const last = orders.at(-1);
  return {
    orders,
    nextCursor: last ? cursorOf(last) : (options.cursor ?? ''),
    more: orders.length > 0 && (orders.length >= pageSize || next !== undefined),
  };
}

/** One order with its operations and components; null when SAP does not know it. */
export async function getOrder(
  transport: ODataTransport,
  order: string,
  signal?: AbortSignal,
): Promise<SapProductionOrder | null> {
  const query = buildQuery({ $expand: `${OPERATIONS_NAV},${COMPONENTS_NAV}`, $select: ORDER_SELECT, $format: 'json' });
  try {
    const response = await transport.request({
      method: 'GET',
      path: `${ORDER_SET}(${stringLiteral(order)})${query}`,
      signal,
    });
    const record = entityOf(JSON.parse(response.body));
    return toOrder(record, etagOf(record, response.headers.etag));
  } catch (error) {
    if (error instanceof SapError && error.status === 404) return null;
    throw error;
  }
}

/** "YYYY-MM-DDTHH:mm:ss" from an Edm.DateTime date and an Edm.Time time, both plant-local. */
export function localDateTime(date: unknown, time: unknown): string | undefined {
  const day = parseODataDate(date);
  if (!day) return undefined;
  const ms = parseODataTime(time) ?? 0;
  return new Date(day.getTime() + ms).toISOString().slice(0, 19);
}

export function toOrder(record: ODataRecord, etag?: string): SapProductionOrder {
  const operations = expanded(record, OPERATIONS_NAV)
    .map(toOperation)
    .sort((a, b) => a.sequence.localeCompare(b.sequence) || a.operation.localeCompare(b.operation));
  return {
    order: str(record, 'ManufacturingOrder'),
    orderType: str(record, 'ManufacturingOrderType'),
    material: str(record, 'Material'),
    plant: str(record, 'ProductionPlant'),
    productionVersion: str(record, 'ProductionVersion'),
    quantity: parseDecimal(record.TotalQuantity),
    unit: str(record, 'ProductionUnit'),
    plannedScrap: parseDecimal(record.MfgOrderPlannedScrapQty),
    plannedStart: localDateTime(record.MfgOrderPlannedStartDate, record.MfgOrderPlannedStartTime),
    plannedEnd: localDateTime(record.MfgOrderPlannedEndDate, record.MfgOrderPlannedEndTime),
    isReleased: flag(record, 'OrderIsReleased'),
    isTechnicallyCompleted: flag(record, 'OrderIsTechnicallyCompleted'),
    isClosed: flag(record, 'OrderIsClosed'),
    isMarkedForDeletion: flag(record, 'OrderIsMarkedForDeletion'),
    lastChange: parseODataDate(record.LastChangeDateTime) ?? undefined,
    etag: etag ?? etagOf(record),
    operations,
    components: expanded(record, COMPONENTS_NAV).map(toComponent),
  };
}

function toOperation(record: ODataRecord): SapOrderOperation {
  return {
    operation: str(record, 'ManufacturingOrderOperation'),
    sequence: str(record, 'ManufacturingOrderSequence'),
    text: str(record, 'MfgOrderOperationText'),
    workCenter: str(record, 'WorkCenter'),
    plant: str(record, 'ProductionPlant'),
    controlProfile: str(record, 'OperationControlProfile'),
    quantity: parseDecimal(record.OpPlannedTotalQuantity),
    unit: str(record, 'OperationUnit'),
    plannedStart: localDateTime(record.OpErlstSchedldExecStrtDte, record.OpErlstSchedldExecStrtTme),
    plannedEnd: localDateTime(record.OpErlstSchedldExecEndDte, record.OpErlstSchedldExecEndTme),
    isConfirmed: flag(record, 'OperationIsConfirmed'),
  };
}

function toComponent(record: ODataRecord): SapOrderComponent {
  return {
    reservation: str(record, 'Reservation'),
    reservationItem: str(record, 'ReservationItem'),
    material: str(record, 'Material'),
    plant: str(record, 'Plant'),
    storageLocation: str(record, 'StorageLocation'),
    batch: str(record, 'Batch'),
    operation: str(record, 'ManufacturingOrderOperation'),
    sequence: str(record, 'ManufacturingOrderSequence'),
    requiredQuantity: parseDecimal(record.RequiredQuantity),
    withdrawnQuantity: parseDecimal(record.WithdrawnQuantity),
    unit: str(record, 'BaseUnit'),
    goodsMovementType: str(record, 'GoodsMovementType'),
    isBackflush: flag(record, 'MatlCompIsMarkedForBackflush'),
    isBulk: flag(record, 'IsBulkMaterialComponent'),
    isPhantom: flag(record, 'MaterialComponentIsPhantomItem'),
  };
}
