// API_PRODUCTION_ORDER_2_SRV, read-only as PlantGraph uses it: orders, operations and components with
// $filter, $orderby, $top/$skip, $expand, $select, $inlinecount, single reads with ETag / If-None-Match.

import type { EdmEntityType, EdmService, Row } from './edm.js';
import { queryCollection, etagOf, parseExpand, parseSelect, setOf, type ServiceContext } from './query.js';
import {
  entityResponse,
  json,
  keyValues,
  parseResource,
  type ServiceHandler,
  type SimRequest,
  type SimResponse,
} from './resource.js';
import { SimError } from './sap-error.js';
import type { SimStore } from './store.js';

export class ProductionOrderService implements ServiceHandler {
  constructor(
    readonly service: EdmService,
    private readonly store: SimStore,
  ) {}

  handle(request: SimRequest, ctx: ServiceContext): SimResponse {
    if (request.method !== 'GET') {
      throw new SimError(
        405,
        '/IWBEP/CM_MGW_RT/003',
        `Method '${request.method}' is not supported by this service (simulated)`,
      );
    }
    const resource = parseResource(request.path);
    const type = this.service.sets.get(resource.set);
    if (!type) throw new SimError(404, '/IWBEP/CM_MGW_RT/021', `Resource not found for segment '${resource.set}'`);
    if (!resource.key)
      return json(200, queryCollection(ctx, type, this.rows(resource.set), request.query, request.path));

    const key = keyValues(type, resource.key);
    const row = this.find(resource.set, type, key);
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
    const etag = etagOf(type, row);
    if (etag && request.headers['if-none-match'] === etag) return { status: 304, headers: { etag }, body: '' };
    return entityResponse(ctx, type, row, parseExpand(type, request.query.get('$expand')), {
      select: parseSelect(type, request.query.get('$select'), ctx),
    });
  }

  navigate(type: EdmEntityType, row: Row, navigation: string): Row[] {
    const order = this.store.orders.get(String(row.ManufacturingOrder));
    if (!order || setOf(this.service, type) !== 'A_ProductionOrder_2') return [];
    if (navigation === 'to_ProductionOrderOperation') return order.operations;
    if (navigation === 'to_ProductionOrderComponent') return order.components;
    return [];
  }

  private rows(set: string): Row[] {
    const orders = [...this.store.orders.values()];
    if (set === 'A_ProductionOrder_2') return orders.map((o) => o.header);
    if (set === 'A_ProductionOrderOperation_2') return orders.flatMap((o) => o.operations);
    return orders.flatMap((o) => o.components);
  }

  private find(set: string, type: EdmEntityType, key: Record<string, string>): Row | undefined {
    if (set === 'A_ProductionOrder_2') return this.store.orders.get(key.ManufacturingOrder)?.header;
    return this.rows(set).find((row) => type.keys.every((k) => String(row[k] ?? '') === key[k]));
  }
}
