import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

/**
 * Names of the fields the operation selects at `path` below the current field (e.g. `edges.node`
 * of a connection), through fragments; `@skip`/`@include` are not evaluated, so it may name more
 * than is answered, never less. Resolvers use it to leave out what nobody asked for.
 */
export function fieldsSelected(info: GraphQLResolveInfo, path: string[] = []): Set<string> {
  let sets = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  for (const name of path)
    sets = sets.flatMap((set) =>
      fieldsIn(info, set).flatMap((f) => (f.name.value === name && f.selectionSet ? [f.selectionSet] : [])),
    );
  return new Set(sets.flatMap((set) => fieldsIn(info, set).map((f) => f.name.value)));
}

function fieldsIn(info: GraphQLResolveInfo, set: SelectionSetNode): FieldNode[] {
  return set.selections.flatMap((s) => {
    if (s.kind === Kind.FIELD) return [s];
    if (s.kind === Kind.INLINE_FRAGMENT) return fieldsIn(info, s.selectionSet);
    const fragment = info.fragments[s.name.value];
    return fragment ? fieldsIn(info, fragment.selectionSet) : [];
  });
}
