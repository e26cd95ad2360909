// Outbound: confirmations with their goods movements to API_PROD_ORDER_CONFIRMATION_2_SRV.
//
// Every confirmation carries the delivery's idempotency key in ExternalSystemConfirmation (an Edm.Guid).
// Whether SAP refuses a second confirmation with the same key is not documented, so after an ambiguous
// failure the runtime reads back by that key (findConfirmations) before it posts again.

import type { BatchOperation } from './odata/batch.js';
import { collectionOf, entityOf, expanded, flag, str, type ODataRecord } from './odata/entities.js';
import { SapError } from './odata/errors.js';
import type { ODataTransport } from './odata/transport.js';
import { buildQuery, guidLiteral, parseDecimal, parseODataDate, stringLiteral } from './odata/values.js';

export const CONFIRMATION_SERVICE = 'API_PROD_ORDER_CONFIRMATION_2_SRV';
export const CONFIRMATION_SET = 'ProdnOrdConf2';
export const GOODS_MOVEMENTS_NAV = 'to_ProdnOrdConfMatlDocItm';

/** One goods movement of a confirmation (deep insert), with SAP's field names. */
export interface GoodsMovementPayload {
  GoodsMovementType: string;
  Material: string;
  Plant: string;
  StorageLocation: string;
  Batch?: string;
  /** Edm.Decimal as a string. */
  QuantityInEntryUnit: string;
  EntryUnit: string;
  OrderID?: string;
  /** Movement indicator; "F" for a goods receipt for the order. */
  GoodsMovementRefDocType?: string;
  Reservation?: string;
  ReservationItem?: string;
}

/** The body of POST ProdnOrdConf2, with SAP's field names. */
export interface ConfirmationPayload {
  OrderID: string;
  OrderOperation: string;
  Sequence?: string;
  /** The idempotency key, an Edm.Guid. */
  ExternalSystemConfirmation: string;
  ConfirmationYieldQuantity: string;
  ConfirmationScrapQuantity: string;
  ConfirmationReworkQuantity: string;
  ConfirmationUnit: string;
  /** "X" final, "1" partial, "" automatic final confirmation. */
  FinalConfirmationType: string;
  IsFinalConfirmation: boolean;
  /** Edm.DateTime, "/Date(ms)/" at UTC midnight. */
  PostingDate: string;
  WorkCenter?: string;
  Personnel?: string;
  ConfirmationText?: string;
  ConfirmedExecutionStartDate?: string;
  ConfirmedExecutionStartTime?: string;
  ConfirmedExecutionEndDate?: string;
  ConfirmedExecutionEndTime?: string;
  to_ProdnOrdConfMatlDocItm?: GoodsMovementPayload[];
}

export interface SapGoodsMovement {
  materialDocument: string;
  materialDocumentItem: string;
  materialDocumentYear: string;
  movementType: string;
  material: string;
  plant: string;
  storageLocation: string;
  batch: string;
  quantity: number;
  unit: string;
}

/** A confirmation as SAP stored it; group + count is its key, the external reference for the hub. */
export interface SapConfirmation {
  confirmationGroup: string;
  confirmationCount: string;
  order: string;
  operation: string;
  externalKey: string;
  yieldQuantity: number;
  scrapQuantity: number;
  reworkQuantity: number;
  unit: string;
  isFinal: boolean;
  isReversed: boolean;
  isReversal: boolean;
  /** "YYYY-MM-DD". */
  postingDate?: string;
  goodsMovements: SapGoodsMovement[];
}

export interface ConfirmationKey {
  confirmationGroup: string;
  confirmationCount: string;
}

/** "ProdnOrdConf2/<group>/<count>": the external reference to keep in the delivery ledger. */
export function confirmationReference(key: ConfirmationKey): string {
  return `${CONFIRMATION_SET}/${key.confirmationGroup}/${key.confirmationCount}`;
}

/** The key in a reference made by confirmationReference; null when it is not one. */
export function parseConfirmationReference(reference: string): ConfirmationKey | null {
  const match = new RegExp(`^${CONFIRMATION_SET}/([^/]+)/([^/]+)$`).exec(reference);
  return match ? { confirmationGroup: match[1]!, confirmationCount: match[2]! } : null;
}

/** Posts one confirmation with its goods movements in the same request. */
export async function postConfirmation(
  transport: ODataTransport,
  payload: ConfirmationPayload,
  signal?: AbortSignal,
): Promise<SapConfirmation> {
  const json = await transport.postJson<unknown>(CONFIRMATION_SET, payload, signal);
  return readCreated(json, payload);
}

/** The confirmations SAP holds for an idempotency key (reversed ones included, flagged). */
export async function findConfirmations(
  transport: ODataTransport,
  externalKey: string,
  signal?: AbortSignal,
): Promise<SapConfirmation[]> {
  const query = buildQuery({
    $filter: `ExternalSystemConfirmation eq ${guidLiteral(externalKey)}`,
    $expand: GOODS_MOVEMENTS_NAV,
    $format: 'json',
  });
  const json = await transport.getJson<unknown>(`${CONFIRMATION_SET}${query}`, signal);
  return collectionOf(json).results.map(toConfirmation);
}

export interface DeliverOptions {
  /** Read back by the key first: set it when an earlier attempt failed ambiguously (or always, for one GET more). */
  reconcileFirst?: boolean;
  signal?: AbortSignal;
}

export interface Delivery {
  confirmation: SapConfirmation;
  /** True when SAP already had it (found by the key) and nothing was posted. */
  reconciled: boolean;
}

/**
 * The outbound handler's core: post unless SAP already holds a live confirmation with this key.
 * An ambiguous failure of the post is rethrown; the runtime retries with reconcileFirst.
 */
export async function deliverConfirmation(
  transport: ODataTransport,
  payload: ConfirmationPayload,
  options: DeliverOptions = {},
): Promise<Delivery> {
  if (options.reconcileFirst) {
    const existing = (await findConfirmations(transport, payload.ExternalSystemConfirmation, options.signal)).find(
      (c) => !c.isReversed,
    );
    if (existing) return { confirmation: existing, reconciled: true };
  }
  return { confirmation: await postConfirmation(transport, payload, options.signal), reconciled: false };
}

export interface CancelOptions {
  /** Default: SAP's (today). */
  postingDate?: Date;
  text?: string;
  /** An idempotency key for the reversal itself, so a retried cancellation can be reconciled too. */
  externalKey?: string;
  signal?: AbortSignal;
}

/** Reverses a confirmation (and its goods movements) through the function import CancelProdnOrdConf. */
export async function cancelConfirmation(
  transport: ODataTransport,
  key: ConfirmationKey,
  options: CancelOptions = {},
): Promise<SapConfirmation> {
  const query = buildQuery({
    ConfirmationGroup: stringLiteral(key.confirmationGroup),
    ConfirmationCount: stringLiteral(key.confirmationCount),
    PostingDate: options.postingDate ? `datetime'${options.postingDate.toISOString().slice(0, 10)}T00:00'` : undefined,
    ConfirmationText: options.text === undefined ? undefined : stringLiteral(options.text),
    ExternalSystemConfirmation: options.externalKey ? guidLiteral(options.externalKey) : undefined,
  });
  const json = await transport.postJson<unknown>(`CancelProdnOrdConf${query}`, undefined, options.signal);
  const d = entityOf(json);
  // A function import may wrap its result in an object named after it.
  const record = (d.CancelProdnOrdConf as ODataRecord | undefined) ?? d;
  return toConfirmation(record);
}

export type BatchDelivery = { ok: true; confirmation: SapConfirmation } | { ok: false; error: SapError };

/**
 * Posts several confirmations in one $batch, each in its own changeset: one refused confirmation does not
 * hold back the others, and each result says what happened to its payload.
 */
export async function postConfirmations(
  transport: ODataTransport,
  payloads: ConfirmationPayload[],
  signal?: AbortSignal,
): Promise<BatchDelivery[]> {
  if (payloads.length === 0) return [];
  const items = payloads.map((payload): BatchOperation[] => [{ method: 'POST', url: CONFIRMATION_SET, body: payload }]);
  const results = await transport.batch(items, signal);
  return results.map((result, index): BatchDelivery => {
    if (result.kind !== 'changeset')
      throw new SapError({ kind: 'ambiguous', message: '$batch: a query answered a changeset' });
    if (!result.ok) return { ok: false, error: result.error };
    try {
      return { ok: true, confirmation: readCreated(JSON.parse(result.responses[0].body), payloads[index]) };
    } catch (cause) {
      const message = `$batch changeset ${index + 1}: created, but the answer is unreadable; reconcile by key`;
      return { ok: false, error: new SapError({ kind: 'ambiguous', message, requestSent: true, cause }) };
    }
  });
}

function readCreated(json: unknown, payload: ConfirmationPayload): SapConfirmation {
  const confirmation = toConfirmation(entityOf(json));
  if (!confirmation.confirmationGroup) {
    throw new SapError({
      kind: 'ambiguous',
      message: `SAP accepted the confirmation for ${payload.OrderID}/${payload.OrderOperation} but returned no key`,
      requestSent: true,
    });
  }
  return confirmation;
}

export function toConfirmation(record: ODataRecord): SapConfirmation {
  const posting = parseODataDate(record.PostingDate);
  return {
    confirmationGroup: str(record, 'ConfirmationGroup'),
    confirmationCount: str(record, 'ConfirmationCount'),
    order: str(record, 'OrderID'),
    operation: str(record, 'OrderOperation'),
    externalKey: str(record, 'ExternalSystemConfirmation'),
    yieldQuantity: parseDecimal(record.ConfirmationYieldQuantity),
    scrapQuantity: parseDecimal(record.ConfirmationScrapQuantity),
    reworkQuantity: parseDecimal(record.ConfirmationReworkQuantity),
    unit: str(record, 'ConfirmationUnit'),
    isFinal: flag(record, 'IsFinalConfirmation'),
    isReversed: flag(record, 'IsReversed'),
    isReversal: flag(record, 'IsReversal'),
    postingDate: posting ? posting.toISOString().slice(0, 10) : undefined,
    goodsMovements: expanded(record, GOODS_MOVEMENTS_NAV).map((item) => ({
      materialDocument: str(item, 'MaterialDocument'),
      materialDocumentItem: str(item, 'MaterialDocumentItem'),
      materialDocumentYear: str(item, 'MaterialDocumentYear'),
      movementType: str(item, 'GoodsMovementType'),
      material: str(item, 'Material'),
      plant: str(item, 'Plant'),
      storageLocation: str(item, 'StorageLocation'),
      batch: str(item, 'Batch'),
      quantity: parseDecimal(item.QuantityInEntryUnit),
      unit: str(item, 'EntryUnit'),
    })),
  };
}
