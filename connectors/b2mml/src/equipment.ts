// Equipment both ways. The hub's path is the B2MML ID (unique in the hub, as an ID must be); children
// nest as EquipmentChild; the name is the Description, the level EquipmentLevel, the class
// EquipmentClassID and each property an EquipmentProperty. Imported records are created or updated one
// by one, parents first, each with its own outcome (a record the hub refuses leaves the others alone).

import { type HubClient, type ImportOutcome, request } from '@plantgraph/connector-sdk';
import { type PropertyValue, propertiesIn, propertyOut, sameProperties } from './properties.js';
import { children, text, texts, type XmlNode, type XmlOut } from './xml.js';

export interface HubEquipment {
  path: string;
  code: string;
  name: string;
  level: string;
  equipmentClass: { code: string } | null;
  properties: PropertyValue[];
}

const FIELDS = 'path code name level equipmentClass { code } properties { name value }';
const LIST = `query ($after: String, $prefix: String) { equipmentList(first: 500, after: $after,
  filter: { pathPrefix: $prefix }) { edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } }`;

/** The hub's equipment (under `prefix`, or all it lets the caller read), every page. */
export async function readHubEquipment(hub: HubClient, prefix?: string): Promise<HubEquipment[]> {
  const all: HubEquipment[] = [];
  let after: string | null = null;
  for (let page = 0; page < 1000; page++) {
    type Page = { edges: { node: HubEquipment }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    const { equipmentList }: { equipmentList: Page } = await request(hub, LIST, { after, prefix: prefix ?? null });
    all.push(...equipmentList.edges.map((e) => e.node));
    if (!equipmentList.pageInfo.hasNextPage) break;
    after = equipmentList.pageInfo.endCursor;
  }
  return all;
}

/** The equipment as nested Equipment elements: the roots (whose parent is not in the list) at the top. */
export function equipmentOut(list: HubEquipment[]): XmlOut[] {
  const sorted = [...list].sort((a, b) => a.path.localeCompare(b.path));
  const paths = new Set(sorted.map((e) => e.path));
  const childrenOf = new Map<string, HubEquipment[]>();
  const roots: HubEquipment[] = [];
  for (const e of sorted) {
    const parent = parentOf(e.path);
    if (parent && paths.has(parent)) childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), e]);
    else roots.push(e);
  }
  const element = (e: HubEquipment): XmlOut => ({
    ID: e.path,
    Description: e.name,
    EquipmentLevel: e.level,
    EquipmentProperty: e.properties.map(propertyOut),
    EquipmentChild: (childrenOf.get(e.path) ?? []).map(element),
    EquipmentClassID: e.equipmentClass?.code,
  });
  return roots.map(element);
}

function parentOf(path: string): string | null {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? null : path.slice(0, slash);
}

/** One Equipment record of a document, flattened, with the element path to name in messages. */
export interface EquipmentRecord {
  at: string;
  path: string;
  parentPath: string | null;
  code: string;
  name: string;
  level: string | undefined;
  equipmentClass: string | undefined;
  properties: PropertyValue[];
  problems: ImportOutcome['reasons'];
}

/** Every Equipment and EquipmentChild of a DataArea, parents before their children. */
export function equipmentIn(dataArea: XmlNode): EquipmentRecord[] {
  const records: EquipmentRecord[] = [];
  const walk = (node: XmlNode, at: string, parent: string | null) => {
    const path = text(node, 'ID')!;
    const parentPath = parent ?? parentOf(path);
    const problems: ImportOutcome['reasons'] = [];
    if (parent && parentOf(path) !== parent)
      problems.push({
        code: 'PathOutsideParent',
        field: `${at}/ID`,
        value: path,
        message: `${at}/ID must be the parent's path and one more segment, e.g. ${parent}/${path.split('/').at(-1)}`,
      });
    const { properties, problems: bad } = propertiesIn(node, 'EquipmentProperty', at);
    records.push({
      at,
      path,
      parentPath,
      code: path.split('/').at(-1)!,
      name: text(node, 'Description') ?? path.split('/').at(-1)!,
      level: text(node, 'EquipmentLevel'),
      equipmentClass: texts(node, 'EquipmentClassID')[0],
      properties,
      problems: [...problems, ...bad],
    });
    children(node, 'EquipmentChild').forEach((c, i) => {
      walk(c, `${at}/EquipmentChild[${i + 1}]`, path);
    });
  };
  children(dataArea, 'Equipment').forEach((e, i) => {
    walk(e, `Equipment[${i + 1}]`, null);
  });
  return records;
}

const EXISTING = `query ($path: String!) { equipment(path: $path) { ${FIELDS} } }`;
const CREATE = `mutation ($i: CreateEquipmentInput!) { r: createEquipment(input: $i) {
  __typename ... on ErrorResult { code message } } }`;
const UPDATE = `mutation ($p: String!, $i: UpdateEquipmentInput!) { r: updateEquipment(path: $p, input: $i) {
  __typename ... on ErrorResult { code message } } }`;

/**
 * Creates or updates each record in the hub; one outcome per record, in document order. With
 * `changeOnly` (a Change document) equipment the hub does not hold is refused rather than created.
 */
export async function importEquipment(
  hub: HubClient,
  records: EquipmentRecord[],
  changeOnly = false,
): Promise<ImportOutcome[]> {
  const outcomes: ImportOutcome[] = [];
  for (const r of records) {
    const outcome = (kind: ImportOutcome['outcome'], reasons: ImportOutcome['reasons'] = []) =>
      outcomes.push({ reference: r.path, outcome: kind, hubReference: r.path, reasons });
    if (r.problems.length) {
      outcome('Rejected', r.problems);
      continue;
    }
    const { equipment: held } = await request<{ equipment: HubEquipment | null }>(hub, EXISTING, { path: r.path });
    if (!held) {
      if (changeOnly) {
        outcome('Rejected', [notHeld(`${r.at}/ID`, `equipment ${r.path}`, 'ProcessEquipment')]);
        continue;
      }
      if (!r.level) {
        outcome('Rejected', [
          {
            code: 'MissingLevel',
            field: `${r.at}/EquipmentLevel`,
            message: `${r.at}/EquipmentLevel is needed to create ${r.path}`,
          },
        ]);
        continue;
      }
      const input = {
        parentPath: r.parentPath,
        code: r.code,
        name: r.name,
        level: r.level,
        equipmentClass: r.equipmentClass ?? null,
        properties: r.properties,
      };
      const refused = hubRefusal((await request<{ r: Answer }>(hub, CREATE, { i: input })).r, 'Equipment', r.at);
      if (refused) outcome('Rejected', [refused]);
      else outcome('Created');
      continue;
    }
    if (r.level && r.level !== held.level) {
      const message = `${r.at}/EquipmentLevel is ${r.level}, but ${r.path} is ${held.level} in the hub`;
      outcome('Conflict', [{ code: 'LevelDiffers', field: `${r.at}/EquipmentLevel`, value: r.level, message }]);
      continue;
    }
    const same =
      held.name === r.name &&
      (held.equipmentClass?.code ?? undefined) === r.equipmentClass &&
      sameProperties(held.properties, r.properties);
    if (same) {
      outcome('Unchanged');
      continue;
    }
    const input = { name: r.name, equipmentClass: r.equipmentClass ?? null, properties: r.properties };
    const refused = hubRefusal(
      (await request<{ r: Answer }>(hub, UPDATE, { p: r.path, i: input })).r,
      'Equipment',
      r.at,
    );
    if (refused) outcome('Rejected', [refused]);
    else outcome('Updated');
  }
  return outcomes;
}

export interface Answer {
  __typename: string;
  code?: string;
  message?: string;
}

/** The hub's refusal of a record as an import reason naming the element; null when it took it. */
export function hubRefusal(answer: Answer, success: string, at: string): ImportOutcome['reasons'][number] | null {
  if (answer.__typename === success) return null;
  return {
    code: answer.code ?? answer.__typename,
    field: at,
    message: `${at}: the hub refused it: ${answer.message ?? answer.__typename}`,
  };
}

/** The refusal of a Change to a record the hub does not hold: Change alters, Process creates. */
export function notHeld(field: string, what: string, create: string): ImportOutcome['reasons'][number] {
  return {
    code: 'NotFound',
    field,
    message: `${field}: the hub holds no ${what}; a Change only alters what exists, send ${create} to create it`,
  };
}
