import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  GraphQLEnumType,
  getArgumentValues,
  getNamedType,
  GraphQLObjectType,
  type GraphQLSchema,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  visit,
} from 'graphql';
import { type GuardExtensions, Permission, WHOLE_INSTALLATION } from '@plantgraph/schema';
import { likePrefix } from '../../core/keys.js';
import type { Principal } from '../../core/principal.js';

/** A parameter's value for one request, or DECLINE: this request goes the resolvers' way. */
export const DECLINE = Symbol('decline');
/** What a request brings to a plan: who asks, and the operation's coerced variables. */
export interface Bindings {
  principal: Principal;
  variables: Record<string, unknown>;
  /** Field arguments already worked out for this request. */
  args: Map<FieldNode, Record<string, unknown>>;
}
type Slot = (b: Bindings) => unknown;

/**
 * One operation compiled: a statement whose single text column is the operation's `data` as JSON,
 * its parameters (scope, arguments) worked out per request, and the permission checks of the
 * fields it reads (`Allow`, checked by `guardFields` on the resolver path).
 */
export interface ReadPlan {
  sql: string;
  slots: Slot[];
  allows: GuardExtensions['allow'][];
  /** Conditions on the request's arguments the statement assumes (else the resolvers answer). */
  checks: ((b: Bindings) => boolean)[];
}

/** Thrown while compiling: the operation asks for something only the resolvers answer. */
export class NotCompiled extends Error {}

/** How one field of a type is answered in SQL, or null: the resolvers answer it. */
export type FieldSql = (field: FieldCompile) => string | null;

/** What a field's compiler is given: the plan being built, the row's alias, the field and its nodes. */
export interface FieldCompile {
  plan: PlanBuilder;
  /** SQL alias of the row of the parent object. */
  row: string;
  field: GraphQLField<unknown, unknown>;
  nodes: readonly FieldNode[];
  /** The field's arguments for the request (coerced as graphql-js coerces them). */
  args: (b: Bindings) => Record<string, unknown>;
}

/** Fields the compiler knows, by type and field name (see `read-types.ts`). */
export type CompiledFields = ReadonlyMap<string, ReadonlyMap<string, FieldSql>>;

/** The statement's text grows here; each parameter is a slot filled per request. */
export class PlanBuilder {
  readonly slots: Slot[] = [];
  readonly allows: GuardExtensions['allow'][] = [];
  readonly checks: ((b: Bindings) => boolean)[] = [];
  /** What the fields of a row's object need to know about the row (a page's cursor, its size), by alias. */
  readonly rows = new Map<string, unknown>();
  #aliases = 0;
  #scope?: [string, string, string];

  constructor(
    readonly schema: GraphQLSchema,
    readonly fragments: Record<string, FragmentDefinitionNode>,
    private readonly fields: CompiledFields,
  ) {}

  param(slot: Slot, cast: string): string {
    this.slots.push(slot);
    return `$${this.slots.length}::${cast}`;
  }

  alias(): string {
    return `t${this.#aliases++}`;
  }

  /**
   * The principal's read scope on a row with a `path` column, as bind parameters: the same test as
   * `pathsVisible` (the whole installation, a scope's own path, or a path under it).
   */
  visible(row: string): string {
    if (!this.#scope) {
      const scopes = (b: Bindings) => b.principal.scopesFor(Permission.Read);
      this.#scope = [
        this.param((b) => scopes(b).includes(WHOLE_INSTALLATION), 'boolean'),
        this.param((b) => scopes(b), 'text[]'),
        this.param((b) => scopes(b).map((s) => likePrefix(`${s}/`)), 'text[]'),
      ];
    }
    const [all, exact, under] = this.#scope;
    return `(${all} or ${row}.path = any(${exact}) or ${row}.path like any(${under}))`;
  }

  /** An object of `type` read from the row `row`, as JSON text (never null: callers wrap absent rows). */
  object(type: GraphQLObjectType, nodes: readonly FieldNode[], row: string): string {
    const selected = new Map<string, FieldNode[]>();
    for (const node of nodes) if (node.selectionSet) this.#collect(type, node.selectionSet, selected, new Set());
    return this.#objectOf(type, selected, row);
  }

  /** The operation's root selection as JSON text. */
  root(operation: OperationDefinitionNode): string {
    const type = this.schema.getQueryType()!;
    const selected = new Map<string, FieldNode[]>();
    this.#collect(type, operation.selectionSet, selected, new Set());
    return this.#objectOf(type, selected, '');
  }

  /**
   * The fields of a selection on `type` by response key, in order, through fragments: graphql-js's
   * `collectFields` for documents without directives (the only ones compiled).
   */
  #collect(type: GraphQLObjectType, set: SelectionSetNode, into: Map<string, FieldNode[]>, spread: Set<string>) {
    const applies = (condition: string | undefined) => {
      if (!condition) return true;
      const on = this.schema.getType(condition);
      return on === type || (!!on && isAbstractType(on) && this.schema.isSubType(on, type));
    };
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        into.set(key, [...(into.get(key) ?? []), selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition?.name.value)) this.#collect(type, selection.selectionSet, into, spread);
      } else if (!spread.has(selection.name.value)) {
        spread.add(selection.name.value);
        const fragment = this.fragments[selection.name.value];
        if (fragment && applies(fragment.typeCondition.name.value))
          this.#collect(type, fragment.selectionSet, into, spread);
      }
    }
  }

  #objectOf(type: GraphQLObjectType, selected: Map<string, readonly FieldNode[]>, row: string): string {
    const parts: string[] = [];
    for (const [key, nodes] of selected) {
      const name = nodes[0]!.name.value;
      const value = name === '__typename' ? `'"${type.name}"'` : this.#field(type, name, nodes, row);
      parts.push(`'${parts.length ? ',' : '{'}"${key}":' || ${value}`);
    }
    return parts.length ? `(${parts.join(' || ')} || '}')` : `'{}'`;
  }

  #field(type: GraphQLObjectType, name: string, nodes: readonly FieldNode[], row: string): string {
    const field = type.getFields()[name];
    const compile = this.fields.get(type.name)?.get(name);
    if (!field || !compile) throw new NotCompiled(`${type.name}.${name}`);
    const allow = (field.extensions as Partial<GuardExtensions> | undefined)?.allow;
    if (allow) this.allows.push(allow);
    const node = nodes[0]!;
    const args = (b: Bindings) => {
      let found = b.args.get(node);
      if (!found) {
        found = getArgumentValues(field, node, b.variables);
        b.args.set(node, found);
      }
      return found;
    };
    const sql = compile({ plan: this, row, field, nodes, args });
    if (sql === null) throw new NotCompiled(`${type.name}.${name}`);
    return sql;
  }
}

/** A column of a leaf field as JSON text, as graphql-js would serialize the value the resolvers read. */
export function leafJson(
  field: GraphQLField<unknown, unknown>,
  column: string,
  /** The column holds only its enum's values (a check constraint): quoted without `to_json`. */
  checkedEnum = false,
): string | null {
  if (isListType(isNonNullType(field.type) ? field.type.ofType : field.type)) return null;
  const type = getNamedType(field.type);
  if (!isLeafType(type)) return null;
  let value: string;
  if (type instanceof GraphQLEnumType) {
    // Stored as the enum's value; answered by its name: only enums whose names are their values.
    if (type.getValues().some((v) => v.value !== v.name)) return null;
    // A GraphQL name needs no JSON escaping: where a check constraint holds the column to the enum's
    // values it is quoted as it is, without `to_json` (13 % of the bench's shape (b) statement's CPU).
    value = checkedEnum ? `'"' || ${column}::text || '"'` : `to_json(${column}::text)::text`;
  } else if (type.name === 'ID' || type.name === 'String') value = `to_json(${column}::text)::text`;
  else if (type.name === 'Int') value = `(${column})::int4::text`;
  else if (type.name === 'Float') value = `to_json((${column})::float8)::text`;
  else if (type.name === 'Boolean') value = `(${column})::boolean::text`;
  // `Date.prototype.toISOString`: UTC, milliseconds (truncated, as the drivers' parsers do).
  else if (type.name === 'DateTimeISO')
    value = `'"' || to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'`;
  else return null;
  return `coalesce(${value}, 'null')`;
}

/** Whether the operation is a query the compiler may try: no directives (so its shape never depends on variables). */
export function compilable(operation: OperationDefinitionNode, fragments: readonly FragmentDefinitionNode[]): boolean {
  if (operation.operation !== 'query') return false;
  let directives = false;
  const check = {
    Directive: () => {
      directives = true;
    },
  };
  visit(operation, check);
  for (const fragment of fragments) visit(fragment, check);
  return !directives;
}

/** Compiles the operation, or returns null when some part of it is answered only by the resolvers. */
export function compilePlan(
  schema: GraphQLSchema,
  fields: CompiledFields,
  document: { definitions: readonly { kind: string }[] },
  operation: OperationDefinitionNode,
): ReadPlan | null {
  const fragments = document.definitions.filter(
    (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION,
  );
  if (!compilable(operation, fragments)) return null;
  const plan = new PlanBuilder(schema, Object.fromEntries(fragments.map((f) => [f.name.value, f])), fields);
  try {
    const data = plan.root(operation);
    return { sql: `select ${data} as data`, slots: plan.slots, allows: plan.allows, checks: plan.checks };
  } catch (err) {
    if (err instanceof NotCompiled) return null;
    throw err;
  }
}
