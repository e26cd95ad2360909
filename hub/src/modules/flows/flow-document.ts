/**
 * A plant's flows as stored: the exact JSON text of a Node-RED flows array. Deploys from the
 * editor are written canonically (`serializeFlows`), imports keep the file's text byte for byte,
 * so export → import → export is identical.
 */

export type FlowNode = { id: string; type: string; [key: string]: unknown };

export class InvalidFlowsError extends Error {}

/** Node-RED's format: 4-space indented JSON and a final newline. */
export function serializeFlows(flows: unknown[]): string {
  return `${JSON.stringify(flows, null, 4)}\n`;
}

/** Parses and checks a flows document; throws `InvalidFlowsError` saying what is wrong and where. */
export function parseFlows(text: string, where = 'the flows'): FlowNode[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidFlowsError(`${where} is not valid JSON (${(err as Error).message}).`);
  }
  if (!Array.isArray(value)) {
    throw new InvalidFlowsError(
      `${where} must be a JSON array of nodes (as Node-RED exports it), got ${value === null ? 'null' : typeof value}.`,
    );
  }
  const ids = new Set<string>();
  value.forEach((node: unknown, i) => {
    if (!node || typeof node !== 'object' || Array.isArray(node))
      throw new InvalidFlowsError(`${where}: entry ${i} is not an object.`);
    const { id, type } = node as Record<string, unknown>;
    if (typeof id !== 'string' || !id)
      throw new InvalidFlowsError(`${where}: entry ${i} has no "id" (a non-empty string).`);
    if (typeof type !== 'string' || !type)
      throw new InvalidFlowsError(`${where}: entry ${i} (id "${id}") has no "type" (a non-empty string).`);
    if (ids.has(id)) throw new InvalidFlowsError(`${where}: id "${id}" is used by more than one entry.`);
    ids.add(id);
  });
  return value as FlowNode[];
}

/** Nodes proper: everything but tabs, subflow definitions and groups. */
export function countNodes(flows: FlowNode[]): number {
  return flows.filter((n) => !['tab', 'subflow', 'group'].includes(n.type)).length;
}
