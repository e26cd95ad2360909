import {
  getArgumentValues,
  getNamedType,
  isCompositeType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** graphql-armor's cost model, which the README documents and clients have been sized against. */
const SCALAR_COST = 1;
const OBJECT_COST = 2;
const DEPTH_FACTOR = 1.5;

/**
 * The cost of running `operation` with these (coerced) variables: a scalar field costs 1, an
 * object field 2, each multiplied by 1.5 per level of nesting and by the `first` (or `last`) of
 * the list it sits in, as the resolver will receive it: a literal, a variable or the default.
 * Validation has run, so fragments do not cycle and nesting is bounded by the depth limit; each
 * fragment's cost is computed once, so fragments spread many times cost no more work here.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fragmentCosts = new Map<string, number>();
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;

  /** Sum over a selection set, each child one level deeper. */
  const selections = (set: SelectionSetNode, parent: GraphQLCompositeType, factor: number): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        cost += factor * field(selection, parent);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        const inner = selections(selection.selectionSet, isCompositeType(type) ? type : parent, DEPTH_FACTOR);
        cost += factor * (OBJECT_COST + inner);
      } else {
        cost += factor * (SCALAR_COST + DEPTH_FACTOR * fragment(selection.name.value));
      }
    }
    return cost;
  };

  const fragment = (name: string): number => {
    const known = fragmentCosts.get(name);
    if (known !== undefined) return known;
    const definition = fragments.get(name);
    const type = definition && schema.getType(definition.typeCondition.name.value);
    const cost =
      definition && isCompositeType(type) ? OBJECT_COST + selections(definition.selectionSet, type, DEPTH_FACTOR) : 0;
    fragmentCosts.set(name, cost);
    return cost;
  };

  const field = (node: FieldNode, parent: GraphQLCompositeType): number => {
    if (node.name.value === '__schema') return 0; // introspection is refused in production and costs nothing to plan
    if (!node.selectionSet) return SCALAR_COST;
    const fields: Record<string, GraphQLField<unknown, unknown>> = 'getFields' in parent ? parent.getFields() : {};
    const definition = fields[node.name.value];
    const type = definition ? getNamedType(definition.type) : undefined;
    const inner = OBJECT_COST + selections(node.selectionSet, isCompositeType(type) ? type : parent, DEPTH_FACTOR);
    return inner * pageSize(definition, node, variables);
  };

  return selections(operation.selectionSet, root, 1);
}

/** How many nodes the list holds at most: its `first` or `last` as the resolver receives it, at least 1. */
function pageSize(
  definition: GraphQLField<unknown, unknown> | undefined,
  node: FieldNode,
  variables: Record<string, unknown>,
): number {
  if (!definition?.args.some((a) => a.name === 'first' || a.name === 'last')) return 1;
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(definition, node, variables);
  } catch {
    return 1; // an invalid argument fails the operation before any resolver runs
  }
  const size = Number(args.first ?? args.last ?? 1);
  return Number.isFinite(size) ? Math.max(1, size) : 1;
}
