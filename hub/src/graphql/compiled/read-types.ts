import type { EntityName, MetadataStorage } from '@mikro-orm/core';
import {
  Equipment,
  EquipmentStateChange,
  ProductDefinition,
  ProductDefinitionVersion,
  WorkOrder,
} from '@plantgraph/schema';
import { getNamedType, type GraphQLObjectType } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { isUuid, likePrefix } from '../../core/keys.js';
import { MAX_PAGE_SIZE, readCursor } from '../../core/paging.js';
import { type Bindings, type CompiledFields, DECLINE, type FieldCompile, type FieldSql, leafJson } from './plan.js';

/**
 * The fields the read compiler answers in SQL, and how: each mirrors the resolver or loader that
 * answers it otherwise (same rows, same scope filter, same order, same page). Everything else, or
 * a field of a type not here, sends the whole operation down the resolver path.
 */
export function compiledFields(metadata: MetadataStorage): CompiledFields {
  const table = (entity: EntityName<object>) => {
    const meta = metadata.get(entity);
    type Property = { fieldNames?: string[]; persist?: boolean; kind: string; enum?: boolean; items?: unknown[] };
    const properties = meta.properties as Record<string, Property>;
    return {
      name: `"${meta.tableName}"`,
      column(property: string): string {
        const p = properties[property];
        if (!p || p.persist === false || p.fieldNames?.length !== 1 || !['scalar', 'm:1'].includes(p.kind))
          throw new Error(`${meta.className}.${property} is not a column the read compiler can read`);
        return `"${p.fieldNames[0]}"`;
      },
      /** Plain properties shown as they are stored: no field resolver of theirs may exist (checked). */
      leaves(names: string[]): [string, FieldSql][] {
        const resolved = new Set(
          getMetadataStorage()
            .fieldResolvers.filter((r) => r.getObjectType?.() === entity)
            .map((r) => r.schemaName),
        );
        return names.map((name) => {
          if (resolved.has(name)) throw new Error(`${meta.className}.${name} has a field resolver`);
          const column = this.column(name);
          // MikroORM's `@Enum` with its items: PostgreSQL checks the column holds only those values.
          const checked = properties[name]!.enum === true && !!properties[name]!.items?.length;
          return [name, ({ row, field }) => leafJson(field, `${row}.${column}`, checked)];
        });
      },
    };
  };
  const equipment = table(Equipment);
  const change = table(EquipmentStateChange);
  const order = table(WorkOrder);
  const version = table(ProductDefinitionVersion);
  const definition = table(ProductDefinition);
  const typeOf = (c: FieldCompile) => getNamedType(c.field.type) as GraphQLObjectType;

  /** One related record by its id column, absent (null) when missing or, with `scoped`, out of scope. */
  const related =
    (target: ReturnType<typeof table>, fk: string, scoped: boolean): FieldSql =>
    (c) => {
      const t = c.plan.alias();
      const visible = scoped ? ` and ${c.plan.visible(t)}` : '';
      const object = c.plan.object(typeOf(c), c.nodes, t);
      return `coalesce((select ${object} from ${target.name} ${t} where ${t}.id = ${c.row}.${fk}${visible}), 'null')`;
    };

  /** An order at visible equipment (`{ equipment: pathsVisible }`). */
  const orderVisible = (c: FieldCompile, t: string) => {
    const q = c.plan.alias();
    return `exists (select 1 from ${equipment.name} ${q}
      where ${q}.id = ${t}.${order.column('equipment')} and ${c.plan.visible(q)})`;
  };

  /** A root lookup by the unique column its argument names, visible or null. */
  const byKey =
    (target: ReturnType<typeof table>, argument: string, visible: (c: FieldCompile, t: string) => string): FieldSql =>
    (c) => {
      const t = c.plan.alias();
      const key = c.plan.param((b) => c.args(b)[argument], 'text');
      const object = c.plan.object(typeOf(c), c.nodes, t);
      return `coalesce((select ${object} from ${target.name} ${t}
        where ${t}.${target.column(argument)} = ${key} and ${visible(c, t)}), 'null')`;
    };

  const fields: Record<string, [string, FieldSql][]> = {
    Query: [
      // EquipmentService.get: by path, in scope.
      ['equipment', byKey(equipment, 'path', (c, t) => c.plan.visible(t))],
      // EquipmentService.list: in scope, filtered by path prefix, level and state, by path.
      [
        'equipmentList',
        (c) => {
          type Filter = { pathPrefix?: string | null; level?: string[] | null; state?: string[] | null };
          const filter = (b: Bindings) => (c.args(b).filter ?? {}) as Filter & { equipmentClass?: string | null };
          c.plan.checks.push((b) => !filter(b).equipmentClass);
          const prefix = c.plan.param((b) => filter(b).pathPrefix || null, 'text');
          const under = c.plan.param((b) => {
            const given = filter(b).pathPrefix;
            return given ? likePrefix(`${given}/`) : null;
          }, 'text');
          const listed = (name: 'level' | 'state') =>
            c.plan.param((b) => (filter(b)[name]?.length ? filter(b)[name] : null), 'text[]');
          const [levels, states] = [listed('level'), listed('state')];
          return page(c, {
            table: equipment.name,
            where: (t) =>
              `${c.plan.visible(t)} and (${prefix} is null or ${t}.path = ${prefix} or ${t}.path like ${under})
                and (${levels} is null or ${t}.level = any(${levels}))
                and (${states} is null or ${t}.state = any(${states}))`,
            orderColumn: equipment.column('path'),
            direction: 'asc',
            value: { cast: 'text', fits: (v) => typeof v === 'string' },
            id: { cast: 'uuid', fits: isUuid },
          });
        },
      ],
      // WorkOrderService.get: by number, at visible equipment.
      ['workOrder', byKey(order, 'number', orderVisible)],
      // WorkOrderService.list without a filter: orders at visible equipment, by number.
      [
        'workOrders',
        (c) => {
          c.plan.checks.push((b) => c.args(b).filter == null);
          return page(c, {
            table: order.name,
            where: (t) => orderVisible(c, t),
            orderColumn: order.column('number'),
            direction: 'asc',
            value: { cast: 'text', fits: (v) => typeof v === 'string' },
            id: { cast: 'uuid', fits: isUuid },
          });
        },
      ],
    ],
    Equipment: [
      ...equipment.leaves([
        'id',
        'createdAt',
        'updatedAt',
        'path',
        'code',
        'name',
        'level',
        'state',
        'stateReason',
        'stateSince',
        'lastReportedAt',
        'conditionReason',
        'conditionSetBy',
        'conditionDueAt',
      ]),
      // The `equipment` loader: in scope or null.
      ['parent', related(equipment, equipment.column('parent'), true)],
      // The `equipmentChildren` loader: in scope, by path.
      [
        'children',
        (c) => {
          const t = c.plan.alias();
          const object = c.plan.object(typeOf(c), c.nodes, t);
          return `coalesce((select '[' || string_agg(${object}, ',' order by ${t}.path) || ']'
            from ${equipment.name} ${t} where ${t}.${equipment.column('parent')} = ${c.row}.id
            and ${c.plan.visible(t)}), '[]')`;
        },
      ],
      // The `stateHistoryOf` loader: newest first, reached through a visible equipment only.
      [
        'stateHistory',
        (c) =>
          page(c, {
            table: change.name,
            where: (t) => `${t}.${change.column('equipment')} = ${c.row}.id`,
            orderColumn: change.column('id'),
            direction: 'desc',
            value: { cast: 'int8', fits: (v) => typeof v === 'string' && /^\d{1,18}$/.test(v) },
            id: { cast: 'int8', fits: (id) => /^\d{1,18}$/.test(id) },
          }),
      ],
    ],
    EquipmentStateChange: change.leaves([
      'id',
      'path',
      'state',
      'previousState',
      'reason',
      'at',
      'source',
      'sequence',
      'applied',
    ]),
    WorkOrder: [
      ...order.leaves([
        'id',
        'createdAt',
        'updatedAt',
        'number',
        'externalReference',
        'quantity',
        'unitOfMeasure',
        'state',
        'stateChangedAt',
        'plannedStart',
        'plannedEnd',
        'lineClearedAt',
        'actualStart',
        'actualEnd',
        'producedLot',
        'stateReason',
      ]),
      ['productDefinitionVersion', related(version, order.column('productDefinitionVersion'), false)],
      // The orders' equipment passed the list's scope filter; the loader filters it the same way.
      ['equipment', related(equipment, order.column('equipment'), true)],
    ],
    ProductDefinitionVersion: [
      ...version.leaves(['id', 'createdAt', 'updatedAt', 'version', 'state', 'changeNote', 'stateChangedAt']),
      ['productDefinition', related(definition, version.column('productDefinition'), false)],
    ],
    ProductDefinition: definition.leaves(['id', 'createdAt', 'updatedAt', 'code', 'name']),
    ...pageFields(),
  };
  return new Map(Object.entries(fields).map(([type, list]) => [type, new Map(list)]));
}

/** A keyset page as `paginate` and `pagesPerParent` read it: ordered by a column, then the id. */
interface PageSpec {
  table: string;
  where: (row: string) => string;
  orderColumn: string;
  direction: 'asc' | 'desc';
  /** How a cursor's parts are bound; a cursor whose parts do not fit goes to the resolvers (they refuse it). */
  value: { cast: string; fits: (value: unknown) => boolean };
  id: { cast: string; fits: (id: string) => boolean };
}

/** What the connection, edge and page-info fields of a page read from its rows (`p`), one group (`group by ()`). */
interface PageRows {
  first: string;
  cursor: string;
  count: string;
  hasPrevious: () => string;
}

function page(c: FieldCompile, spec: PageSpec): string {
  const { plan } = c;
  const first = plan.param((b) => {
    const n = c.args(b).first;
    return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= MAX_PAGE_SIZE ? n : DECLINE;
  }, 'int4');
  const after = (b: Bindings) => {
    const cursor = c.args(b).after as string | null | undefined;
    if (!cursor) return null;
    const read = readCursor(cursor);
    return read && spec.value.fits(read[0]) && spec.id.fits(read[1]) ? read : DECLINE;
  };
  const part = (i: 0 | 1) => (b: Bindings) => {
    const read = after(b);
    return read === DECLINE ? DECLINE : (read?.[i] ?? null);
  };
  const byId = spec.orderColumn === '"id"';
  // Ordered by the id, the cursor's value is the id: the ORM binds only the id then.
  const value = byId ? '' : plan.param(part(0), spec.value.cast);
  const id = plan.param(part(1), spec.id.cast);
  // Bound only when `hasPreviousPage` is selected: a parameter the statement never uses has no type.
  let hasPrevious: string | undefined;
  const [t, q, p] = [plan.alias(), plan.alias(), plan.alias()];
  const beyond = spec.direction === 'asc' ? '>' : '<';
  // By an int8 id, the first page's bound is the type's end, so that the test is the index's range
  // condition on every page (a prepared statement's generic plan cannot use `$n is null or id < $n` so).
  const idEnd = `'${spec.direction === 'asc' ? '-9223372036854775808' : '9223372036854775807'}'::int8`;
  const keyset =
    byId && spec.id.cast === 'int8'
      ? `${t}.id ${beyond} coalesce(${id}, ${idEnd})`
      : `(${id} is null or ${byId ? `${t}.id ${beyond} ${id}` : `(${t}.${spec.orderColumn}, ${t}.id) ${beyond} (${value}, ${id})`})`;
  const orderOf = (r: string) =>
    byId ? `${r}.id ${spec.direction}` : `${r}.${spec.orderColumn} ${spec.direction}, ${r}.id ${spec.direction}`;
  const cursorValue = `to_json(${p}.${spec.orderColumn}::text)::text`;
  plan.rows.set(p, {
    first,
    cursor: `translate(encode(convert_to('[' || ${cursorValue} || ',' || to_json(${p}.id::text)::text || ']',
      'UTF8'), 'base64'), E'+/=\\n', '-_')`,
    count: `(select count(*) from ${spec.table} ${t} where ${spec.where(t)})`,
    hasPrevious: () => (hasPrevious ??= plan.param((b) => Boolean(c.args(b).after), 'boolean')),
  } satisfies PageRows);
  const object = plan.object(getNamedType(c.field.type) as GraphQLObjectType, c.nodes, p);
  return `(select ${object} from (select row_number() over (order by ${orderOf(q)}) as rank__, ${q}.*
    from (select ${t}.* from ${spec.table} ${t} where ${spec.where(t)} and ${keyset}
      order by ${orderOf(t)} limit ${first} + 1) ${q}) ${p} group by ())`;
}

/** The Relay connection types of the compiled pages: aggregates over the page's rows. */
function pageFields(): Record<string, [string, FieldSql][]> {
  const rows = (c: FieldCompile) => c.plan.rows.get(c.row) as PageRows;
  const inPage = (c: FieldCompile) => `${c.row}.rank__ <= ${rows(c).first}`;
  const connection: [string, FieldSql][] = [
    [
      'edges',
      (c) =>
        `coalesce('[' || string_agg(${c.plan.object(getNamedType(c.field.type) as GraphQLObjectType, c.nodes, c.row)},
          ',' order by ${c.row}.rank__) filter (where ${inPage(c)}) || ']', '[]')`,
    ],
    ['pageInfo', (c) => c.plan.object(getNamedType(c.field.type) as GraphQLObjectType, c.nodes, c.row)],
    ['totalCount', (c) => `${rows(c).count}::int4::text`],
  ];
  const edge: [string, FieldSql][] = [
    ['node', (c) => c.plan.object(getNamedType(c.field.type) as GraphQLObjectType, c.nodes, c.row)],
    ['cursor', (c) => `'"' || ${rows(c).cursor} || '"'`],
  ];
  const cursorAt = (c: FieldCompile, direction: string) =>
    `coalesce('"' || (array_agg(${rows(c).cursor} order by ${c.row}.rank__ ${direction})
      filter (where ${inPage(c)}))[1] || '"', 'null')`;
  return {
    EquipmentConnection: connection,
    EquipmentEdge: edge,
    EquipmentStateChangeConnection: connection,
    EquipmentStateChangeEdge: edge,
    WorkOrderConnection: connection,
    WorkOrderEdge: edge,
    PageInfo: [
      ['hasNextPage', (c) => `(count(*) > ${rows(c).first})::text`],
      ['hasPreviousPage', (c) => `${rows(c).hasPrevious()}::text`],
      ['startCursor', (c) => cursorAt(c, 'asc')],
      ['endCursor', (c) => cursorAt(c, 'desc')],
    ],
  };
}
