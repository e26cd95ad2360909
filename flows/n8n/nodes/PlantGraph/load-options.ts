import type { IDataObject, ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { hubRequest } from './transport';

/** Enum values as this package was built against: the fallback where the hub refuses introspection (production). */
const KNOWN_ENUMS: Record<string, string[]> = {
  AlertSeverity: ['Info', 'Low', 'Medium', 'High', 'Critical'],
  AlertState: ['Active', 'Acknowledged', 'Cleared'],
  WorkOrderState: [
    'Draft',
    'Released',
    'InProgress',
    'Paused',
    'Completed',
    'UnderReview',
    'ReleasedToStock',
    'Rejected',
    'Cancelled',
  ],
  EquipmentState: ['Running', 'Idle', 'Down', 'Maintenance', 'Offline'],
};
/** Pages of 500 read for the equipment dropdown at most. */
const MAX_EQUIPMENT_PAGES = 10;

/** An enum's values as the hub declares them (so a newer hub's values appear), else as known at build. */
export async function enumOptions(this: ILoadOptionsFunctions, name: string): Promise<INodePropertyOptions[]> {
  try {
    const data = await hubRequest.call(
      this,
      'query ($name: String!) { __type(name: $name) { enumValues { name description } } }',
      {
        name,
      },
    );
    const values = ((data.__type as IDataObject | null)?.enumValues ?? []) as { name: string; description?: string }[];
    if (values.length)
      return values.map((v) => ({ name: v.name, value: v.name, description: v.description ?? undefined }));
  } catch {
    // Introspection is refused by a production hub: the values known at build time are right for it.
  }
  return (KNOWN_ENUMS[name] ?? []).map((v) => ({ name: v, value: v }));
}

/** The equipment the credential may read, by path (its grants are the scope), sites and areas included. */
export async function equipmentPathOptions(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
  const options: INodePropertyOptions[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_EQUIPMENT_PAGES; page++) {
    const data = await hubRequest.call(
      this,
      `query ($after: String) { equipmentList(first: 500, after: $after) {
        edges { node { path name level } } pageInfo { hasNextPage endCursor } } }`,
      { after },
    );
    const list = data.equipmentList as {
      edges: { node: { path: string; name: string; level: string } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
    for (const { node } of list.edges)
      options.push({ name: node.path, value: node.path, description: `${node.name} (${node.level})` });
    if (!list.pageInfo.hasNextPage || !list.pageInfo.endCursor) break;
    after = list.pageInfo.endCursor;
  }
  return options;
}
