// API_PROD_ORDER_CONFIRMATION_2_SRV: POST ProdnOrdConf2 with the deep insert of goods movements, reads
// with $filter (ExternalSystemConfirmation for the reconcile read), and the function import
// CancelProdnOrdConf. Whether SAP refuses a second confirmation with the same ExternalSystemConfirmation
// is not known, so the simulator does either, as the test chooses.

import { fromJson, rowFromJson, type EdmEntityType, type EdmService, type Row } from './edm.js';
import { applyQuantities, findOperation, MOVEMENT_REVERSALS, postConfirmation } from './confirmation-posting.js';
import { parseExpand, queryCollection, type ServiceContext } from './query.js';
import {
  entityResponse,
  json,
  keyValues,
  parseJsonBody,
  parseResource,
  type ServiceHandler,
  type SimRequest,
  type SimResponse,
} from './resource.js';
import { businessError, SimError } from './sap-error.js';
import type { ConfirmationRecord, SimStore } from './store.js';

export type DuplicatePolicy = 'accept' | 'reject';

export interface ConfirmationServiceHooks {
  duplicates(): DuplicatePolicy;
  /** An injected business error for this post, if one is pending. */
  takeBusinessError(): { code: string; message: string } | undefined;
  now(): Date;
}

export class ConfirmationService implements ServiceHandler {
  private readonly recordOf = new WeakMap<Row, ConfirmationRecord>();

  constructor(
    readonly service: EdmService,
    private readonly store: SimStore,
    private readonly hooks: ConfirmationServiceHooks,
  ) {}

  handle(request: SimRequest, ctx: ServiceContext): SimResponse {
    const resource = parseResource(request.path);
    if (resource.set === 'CancelProdnOrdConf') {
      if (request.method !== 'POST')
        throw new SimError(405, '/IWBEP/CM_MGW_RT/003', 'CancelProdnOrdConf is called with POST');
      return this.cancel(request, ctx);
    }
    const type = this.service.sets.get(resource.set);
    if (!type) throw new SimError(404, '/IWBEP/CM_MGW_RT/021', `Resource not found for segment '${resource.set}'`);
    const conf = this.service.sets.get('ProdnOrdConf2');
    if (request.method === 'POST' && type === conf && !resource.key) return this.create(request, ctx, type);
    if (request.method !== 'GET')
      throw new SimError(405, '/IWBEP/CM_MGW_RT/003', `Method '${request.method}' is not allowed on ${resource.set}`);

    const rows =
      type === conf
        ? this.store.confirmations.map((r) => this.indexed(r))
        : this.store.confirmations.flatMap((r) => r.items);
    if (!resource.key) return json(200, queryCollection(ctx, type, rows, request.query, request.path));
    const key = keyValues(type, resource.key);
    const row = rows.find((r) => type.keys.every((k) => String(r[k] ?? '') === key[k]));
    if (!row) throw new SimError(404, '/IWBEP/CM_MGW_RT/021', `Resource not found for segment '${type.name}'`);
    if (resource.navigation) {
      const target = this.service.types.get(type.navigation.get(resource.navigation) ?? '');
      if (!target)
        throw new SimError(404, '/IWBEP/CM_MGW_RT/021', `Resource not found for segment '${resource.navigation}'`);
      return json(
        200,
        queryCollection(ctx, target, this.navigate(type, row, resource.navigation), request.query, request.path),
      );
    }
    return entityResponse(ctx, type, row, parseExpand(type, request.query.get('$expand')));
  }

  navigate(_type: EdmEntityType, row: Row, navigation: string): Row[] {
    return navigation === 'to_ProdnOrdConfMatlDocItm' ? (this.recordOf.get(row)?.items ?? []) : [];
  }

  private indexed(record: ConfirmationRecord): Row {
    this.recordOf.set(record.row, record);
    return record.row;
  }

  private create(request: SimRequest, ctx: ServiceContext, type: EdmEntityType): SimResponse {
    const { row, navigation } = rowFromJson(type, parseJsonBody(request.body));
    const itemType = this.service.types.get(type.navigation.get('to_ProdnOrdConfMatlDocItm') ?? '');
    if (!itemType) throw new Error('metadata: goods movement type missing');
    const rawItems = navigation.get('to_ProdnOrdConfMatlDocItm');
    // V2 clients send an inline collection as an array or wrapped in "results"; Gateway takes both.
    const list = Array.isArray(rawItems)
      ? rawItems
      : ((rawItems as { results?: unknown[] } | undefined)?.results ?? []);
    const items = list.map((item) => rowFromJson(itemType, item as Record<string, unknown>).row);

    const injected = this.hooks.takeBusinessError();
    if (injected) throw businessError(injected.code, injected.message);
    const key = row.ExternalSystemConfirmation;
    if (typeof key === 'string' && this.hooks.duplicates() === 'reject') {
      const existing = (this.store.byExternalKey.get(key) ?? []).find((r) => !r.row.IsReversed && !r.row.IsReversal);
      if (existing) {
        throw businessError(
          'ZSIM_PP/011',
          `Confirmation ${existing.row.ConfirmationGroup}/${existing.row.ConfirmationCount} already has external key ${key}`,
          'ExternalSystemConfirmation',
        );
      }
    }
    const record = postConfirmation(this.store, row, items, this.hooks.now());
    return entityResponse(ctx, type, this.indexed(record), ['to_ProdnOrdConfMatlDocItm'], { status: 201 });
  }

  private cancel(request: SimRequest, ctx: ServiceContext): SimResponse {
    const fn = this.service.functions.get('CancelProdnOrdConf');
    if (!fn) throw new Error('metadata: CancelProdnOrdConf missing');
    const params: Record<string, unknown> = {};
    for (const [name, property] of fn.parameters) {
      const text = request.query.get(name);
      if (text !== null) params[name] = fromJson(functionLiteral(name, text), property);
    }
    const group = String(params.ConfirmationGroup ?? '');
    const count = String(params.ConfirmationCount ?? '');
    const original = this.store.confirmations.find(
      (r) => r.row.ConfirmationGroup === group && r.row.ConfirmationCount === count,
    );
    if (!original)
      throw businessError('ZSIM_PP/012', `Confirmation ${group}/${count} does not exist`, 'ConfirmationGroup');
    if (original.row.IsReversal)
      throw businessError('ZSIM_PP/014', `Confirmation ${group}/${count} is a reversal and cannot be cancelled`);
    if (original.row.IsReversed)
      throw businessError('ZSIM_PP/013', `Confirmation ${group}/${count} is already cancelled`);

    const { order, op } = findOperation(this.store, String(original.row.OrderID), String(original.row.OrderOperation));
    const now = this.hooks.now();
    const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const reversalCount = Number(op._ConfirmationCounter) + 1;
    this.store.set(op, '_ConfirmationCounter', reversalCount);
    const document = original.items.length ? this.store.nextNumber('document') : '';
    const reversal: ConfirmationRecord = {
      row: {
        ...original.row,
        ConfirmationCount: String(reversalCount),
        IsReversal: true,
        IsReversed: false,
        ExternalSystemConfirmation: (params.ExternalSystemConfirmation as string | undefined) ?? null,
        ConfirmationText: (params.ConfirmationText as string | undefined) ?? original.row.ConfirmationText ?? '',
        PostingDate: (params.PostingDate as Date | undefined) ?? today,
        ConfirmationEntryDate: today,
        ConfirmationEntryTime: now.getTime() - today.getTime(),
      },
      items: original.items.map((item) => ({
        ...item,
        ConfirmationCount: String(reversalCount),
        MaterialDocument: document,
        GoodsMovementType: MOVEMENT_REVERSALS[String(item.GoodsMovementType)] ?? item.GoodsMovementType,
      })),
    };
    applyQuantities(this.store, order, op, original, -1);
    this.store.set(original.row, 'IsReversed', true);
    if (original.row.IsFinalConfirmation) this.store.set(op, 'OperationIsConfirmed', '');
    this.store.storeConfirmation(reversal);
    const type = this.service.sets.get('ProdnOrdConf2');
    if (!type) throw new Error('metadata: ProdnOrdConf2 missing');
    return entityResponse(ctx, type, this.indexed(reversal), ['to_ProdnOrdConfMatlDocItm']);
  }
}

/** A function import parameter from the query ('x', datetime'…', guid'…') as the JSON value fromJson reads. */
function functionLiteral(name: string, text: string): unknown {
  const quoted = /^(datetime|guid)?'((?:[^']|'')*)'$/.exec(text);
  if (!quoted) throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Invalid value for function parameter ${name}: ${text}`);
  const value = quoted[2].replace(/''/g, "'");
  if (quoted[1] === 'datetime') {
    const ms = Date.parse(`${value.length === 16 ? `${value}:00` : value}Z`);
    if (Number.isNaN(ms)) throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Invalid datetime for ${name}: ${value}`);
    return `/Date(${ms})/`;
  }
  return value;
}
