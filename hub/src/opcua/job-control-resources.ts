import type { Principal } from '../core/principal.js';
import type { ExecuteOperation } from '../graphql/execute.js';

/**
 * What a work center's Job Order Receiver tells a client it may name in a job order (OPC 10031-4: EquipmentID,
 * PersonnelID, MaterialClassID, MaterialDefinitionID, PhysicalAssetID, WorkMaster), from the hub's model for the
 * work center's scope: the equipment at and under it, the active people whose home is there, and the work
 * masters (product definitions with an active version) whose every segment finds equipment of its class there,
 * with their materials. Read through GraphQL as the face's reading principal at each read, so it follows the model.
 */
export interface ReceiverResources {
  equipment: string[];
  personnel: string[];
  materialClasses: string[];
  materialDefinitions: string[];
  /** The hub has no physical assets apart from equipment (ADR 0034): always empty. */
  physicalAssets: string[];
  workMasters: { id: string; description: string; version: number }[];
}

/** Most of each kind one read lists (the lists' bound, as JobOrderList's). */
export const RESOURCES_LIMIT = 500;

const QUERY = `query ($p: String!, $n: Int!) {
  equipmentList(filter: { pathPrefix: $p }, first: $n) { edges { node { path equipmentClass { code } } } }
  persons(filter: { homePrefix: $p, active: true }, first: $n) { edges { node { employeeId } } }
  materialDefinitions(first: $n) { edges { node { code materialClass { code } } } }
  productDefinitions(first: $n) { edges { node { code name producedMaterial { code }
    activeVersion { version segments { equipmentClass materials { materialDefinition } } } } } } }`;

interface Answer {
  equipmentList: { edges: { node: { path: string; equipmentClass: { code: string } | null } }[] };
  persons: { edges: { node: { employeeId: string } }[] };
  materialDefinitions: { edges: { node: { code: string; materialClass: { code: string } | null } }[] };
  productDefinitions: {
    edges: {
      node: {
        code: string;
        name: string;
        producedMaterial: { code: string };
        activeVersion: {
          version: number;
          segments: { equipmentClass: string | null; materials: { materialDefinition: string }[] }[];
        } | null;
      };
    }[];
  };
}

export async function receiverResources(
  execute: ExecuteOperation,
  reader: Principal,
  workCenter: string,
): Promise<ReceiverResources> {
  const r = await execute(reader, QUERY, { p: workCenter, n: RESOURCES_LIMIT });
  if (r.errors?.length) throw new Error(`the resources of ${workCenter}: ${r.errors[0]!.message}`);
  const a = r.data as unknown as Answer;
  const equipment = a.equipmentList.edges.map((e) => e.node);
  const classesHere = new Set(equipment.flatMap((e) => (e.equipmentClass ? [e.equipmentClass.code] : [])));
  const runnable = a.productDefinitions.edges
    .map((e) => e.node)
    .filter((d) => d.activeVersion?.segments.every((s) => !s.equipmentClass || classesHere.has(s.equipmentClass)));
  const materials = new Set(
    runnable.flatMap((d) => [
      d.producedMaterial.code,
      ...d.activeVersion!.segments.flatMap((s) => s.materials).map((m) => m.materialDefinition),
    ]),
  );
  const classOf = new Map(a.materialDefinitions.edges.map((e) => [e.node.code, e.node.materialClass?.code]));
  const sorted = (values: Iterable<string | undefined>) =>
    [...new Set([...values].filter((v): v is string => !!v))].sort();
  return {
    equipment: equipment.map((e) => e.path),
    personnel: a.persons.edges.map((e) => e.node.employeeId),
    materialDefinitions: sorted(materials),
    materialClasses: sorted([...materials].map((m) => classOf.get(m))),
    physicalAssets: [],
    workMasters: runnable.map((d) => ({ id: d.code, description: d.name, version: d.activeVersion!.version })),
  };
}
