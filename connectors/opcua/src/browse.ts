// Browsing a server's address space, for an engineer picking the nodes to map by name: the children
// of a node (Objects when none is given) with their class and, for variables, their data type's name.

import type { BrowsedNode } from '@plantgraph/connector-sdk';
import type { NodeOpcua, Session } from './connection.js';

/** Children listed at most per call (a server folder with more is rare; the engineer browses deeper). */
const MAX_CHILDREN = 1000;

export async function browseChildren(opcua: NodeOpcua, session: Session, nodeId?: string): Promise<BrowsedNode[]> {
  const start = nodeId ?? 'ns=0;i=85'; // the Objects folder
  const result = await session.browse({
    nodeId: start,
    browseDirection: opcua.BrowseDirection.Forward,
    referenceTypeId: 'HierarchicalReferences',
    includeSubtypes: true,
    nodeClassMask: 0,
    resultMask: 63,
  });
  if (result.statusCode.isNotGood())
    throw new Error(`cannot browse ${start}: ${result.statusCode.name} (is the node id right?)`);
  const references = (result.references ?? []).slice(0, MAX_CHILDREN);
  const variables = references.filter((r) => r.nodeClass === opcua.NodeClass.Variable);
  const types = variables.length
    ? await session.read(variables.map((r) => ({ nodeId: r.nodeId, attributeId: opcua.AttributeIds.DataType })))
    : [];
  const typeIds = types.map((dv) => (dv.statusCode.isGood() && dv.value.value ? dv.value.value.toString() : null));
  const distinct = [...new Set(typeIds.filter((t): t is string => t !== null))];
  const names = distinct.length
    ? await session.read(distinct.map((t) => ({ nodeId: t, attributeId: opcua.AttributeIds.BrowseName })))
    : [];
  const nameOf = new Map(distinct.map((t, i) => [t, names[i]?.value.value?.name ?? t]));
  const typeOf = new Map(variables.map((r, i) => [r.nodeId.toString(), typeIds[i] ? nameOf.get(typeIds[i]!)! : null]));
  return references.map((r) => ({
    nodeId: r.nodeId.toString(),
    browseName: r.browseName.toString(),
    displayName: r.displayName.text ?? r.browseName.name ?? '',
    nodeClass: opcua.NodeClass[r.nodeClass] ?? String(r.nodeClass),
    dataType: typeOf.get(r.nodeId.toString()) ?? null,
  }));
}

/**
 * The names of an enumeration variable's values (from its data type's EnumStrings or EnumValues),
 * so a state mapped by name reads the number the server sends.
 */
export async function enumerationNames(
  opcua: NodeOpcua,
  session: Session,
  nodeId: string,
): Promise<Map<number, string>> {
  const [dataType] = await session.read([{ nodeId, attributeId: opcua.AttributeIds.DataType }]);
  if (!dataType?.statusCode.isGood())
    throw new Error(`${nodeId}: cannot read its data type (${dataType?.statusCode.name})`);
  const typeId = dataType.value.value.toString();
  const props = await session.browse({
    nodeId: typeId,
    browseDirection: opcua.BrowseDirection.Forward,
    referenceTypeId: 'HasProperty',
    includeSubtypes: true,
    nodeClassMask: 0,
    resultMask: 63,
  });
  const prop = (props.references ?? []).find((r) => ['EnumStrings', 'EnumValues'].includes(r.browseName.name ?? ''));
  if (!prop) throw new Error(`${nodeId}: its data type ${typeId} is no enumeration (no EnumStrings or EnumValues)`);
  const [value] = await session.read([{ nodeId: prop.nodeId, attributeId: opcua.AttributeIds.Value }]);
  const names = new Map<number, string>();
  const list = (value?.value.value ?? []) as {
    text?: string;
    value?: number | bigint;
    displayName?: { text?: string };
  }[];
  list.forEach((entry, i) => {
    if (prop.browseName.name === 'EnumStrings') names.set(i, entry.text ?? '');
    else names.set(Number(entry.value), entry.displayName?.text ?? '');
  });
  return names;
}
