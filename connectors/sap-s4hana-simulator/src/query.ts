// Entities as Gateway serializes them in JSON (every declared property, __metadata with uri, type and
// etag, navigation properties deferred unless expanded) and the collection query options.

import { keyPredicate, toJson, type EdmEntityType, type EdmService, type Row } from './edm.js';
import { orderBy, parseFilter, evaluate } from './filter.js';
import { SimError } from './sap-error.js';

export interface ServiceContext {
  service: EdmService;
  /** Absolute URL of the service root, for __metadata.uri and __next. */
  root: string;
  /** The rows a navigation property leads to. */
  navigate(type: EdmEntityType, row: Row, navigation: string): Row[];
  /** Gateway's page limit; a longer answer is cut and carries __next. */
  maxPageSize?: number;
}

export function setOf(service: EdmService, type: EdmEntityType): string {
  for (const [name, t] of service.sets) if (t === type) return name;
  return type.name;
}

/** Weak ETag from the change time, in the form Gateway derives it from a timestamp field. */
export function etagOf(type: EdmEntityType, row: Row): string | undefined {
  const changed = type.properties.has('LastChangeDateTime') ? row.LastChangeDateTime : undefined;
  return changed instanceof Date ? `W/"datetimeoffset'${encodeURIComponent(changed.toISOString())}'"` : undefined;
}

export function parseExpand(type: EdmEntityType, text: string | null): string[] {
  if (!text) return [];
  return text.split(',').map((name) => {
    const trimmed = name.trim();
    if (trimmed.includes('/')) throw new SimError(400, '/IWBEP/CM_MGW_RT/004', 'The simulator expands one level only');
    if (!type.navigation.has(trimmed))
      throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Property ${trimmed} not found in type ${type.name}`);
    return trimmed;
  });
}

/** $select: own properties, and per expanded navigation property the properties of its entities. */
export interface Selection {
  own: Set<string>;
  nested: Map<string, Set<string>>;
}

export function parseSelect(type: EdmEntityType, text: string | null, ctx: ServiceContext): Selection | undefined {
  if (!text) return undefined;
  const selection: Selection = { own: new Set(), nested: new Map() };
  const unknown = (name: string, where: EdmEntityType) =>
    new SimError(400, '/IWBEP/CM_MGW_RT/004', `Property ${name} not found in type ${where.name}`);
  for (const path of text.split(',').map((s) => s.trim())) {
    const [name, child] = path.split('/');
    if (!type.properties.has(name) && !type.navigation.has(name)) throw unknown(name, type);
    selection.own.add(name);
    if (child === undefined) continue;
    const target = ctx.service.types.get(type.navigation.get(name) ?? '');
    if (!target) throw unknown(path, type);
    if (!target.properties.has(child)) throw unknown(child, target);
    selection.nested.set(name, (selection.nested.get(name) ?? new Set()).add(child));
  }
  return selection;
}

export function serializeEntity(
  ctx: ServiceContext,
  type: EdmEntityType,
  row: Row,
  expand: string[] = [],
  select?: Selection,
): Record<string, unknown> {
  const uri = `${ctx.root}/${setOf(ctx.service, type)}${keyPredicate(type, row)}`;
  const etag = etagOf(type, row);
  const entity: Record<string, unknown> = {
    __metadata: { id: uri, uri, type: type.fullName, ...(etag ? { etag } : {}) },
  };
  for (const property of type.properties.values()) {
    if (!select || select.own.has(property.name) || type.keys.includes(property.name))
      entity[property.name] = toJson(row[property.name], property);
  }
  for (const [navigation, target] of type.navigation) {
    if (select && !select.own.has(navigation) && !expand.includes(navigation)) continue;
    if (expand.includes(navigation)) {
      const targetType = ctx.service.types.get(target);
      if (!targetType) throw new Error(`metadata: no entity type ${target}`);
      const nested = select?.nested.get(navigation);
      const childSelection = nested ? { own: nested, nested: new Map() } : undefined;
      entity[navigation] = {
        results: ctx
          .navigate(type, row, navigation)
          .map((r) => serializeEntity(ctx, targetType, r, [], childSelection)),
      };
    } else entity[navigation] = { __deferred: { uri: `${uri}/${navigation}` } };
  }
  return entity;
}

function nonNegativeInteger(name: string, text: string | null): number | undefined {
  if (text === null) return undefined;
  if (!/^\d+$/.test(text)) throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Invalid value '${text}' for ${name}`);
  return Number(text);
}

/** A collection answer with $filter, $orderby, $skip, $top, $skiptoken, $inlinecount, $expand, $select. */
export function queryCollection(
  ctx: ServiceContext,
  type: EdmEntityType,
  rows: Row[],
  query: URLSearchParams,
  path: string,
): Record<string, unknown> {
  let selected = rows;
  const filterText = query.get('$filter');
  if (filterText) {
    const filter = parseFilter(filterText, type);
    selected = selected.filter((row) => evaluate(filter, row));
  }
  const orderText = query.get('$orderby');
  if (orderText) selected = [...selected].sort(orderBy(orderText, type));
  const total = selected.length;
  const skip =
    (nonNegativeInteger('$skip', query.get('$skip')) ?? 0) +
    (nonNegativeInteger('$skiptoken', query.get('$skiptoken')) ?? 0);
  const top = nonNegativeInteger('$top', query.get('$top'));
  let end = top === undefined ? selected.length : Math.min(selected.length, skip + top);
  let next: string | undefined;
  if (ctx.maxPageSize !== undefined && end - skip > ctx.maxPageSize) {
    end = skip + ctx.maxPageSize;
    const rest = new URLSearchParams(query);
    rest.delete('$skip');
    rest.set('$skiptoken', String(end));
    if (top !== undefined) rest.set('$top', String(top - ctx.maxPageSize));
    next = `${ctx.root}/${path}?${rest.toString()}`;
  }
  const expand = parseExpand(type, query.get('$expand'));
  const select = parseSelect(type, query.get('$select'), ctx);
  const results = selected.slice(skip, end).map((row) => serializeEntity(ctx, type, row, expand, select));
  const d: Record<string, unknown> = { results };
  if (query.get('$inlinecount') === 'allpages') d.__count = String(total);
  if (next) d.__next = next;
  return { d };
}
