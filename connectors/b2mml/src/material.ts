// MaterialDefinition and MaterialLot both ways.
// - A definition: code as ID, name as Description, class as MaterialClassID, properties as
//   MaterialDefinitionProperty. V0701 has no element for a definition's unit, so it travels as the
//   property `UnitOfMeasure` (its Value carries the unit in UnitOfMeasure too).
// - A lot: number as ID, its definition, the hub status as Status (V0701 leaves Status free) with the
//   matching Disposition, properties, the storage equipment as StorageLocation (LocationType Equipment),
//   quantity and unit, and the expiry as EffectiveEndDate.
// Records are imported one by one, each with its own outcome; a lot's status goes through the hub's own
// status change with the reason given (the same controlled path as a person's).

import { type HubClient, type ImportOutcome, request } from '@plantgraph/connector-sdk';
import { type Answer, hubRefusal, notHeld } from './equipment.js';
import { type PropertyValue, propertiesIn, propertyOut, sameProperties } from './properties.js';
import { type HubSublot, importSublots, SUBLOT_FIELDS, sublotsIn, sublotsOut } from './sublots.js';
import { child, children, text, type XmlNode, type XmlOut } from './xml.js';

export const UNIT_PROPERTY = 'UnitOfMeasure';

export interface HubMaterialDefinition {
  code: string;
  name: string;
  unitOfMeasure: string;
  materialClass: { code: string } | null;
  properties: PropertyValue[];
}

export interface HubMaterialLot {
  lotNumber: string;
  quantity: number;
  unitOfMeasure: string;
  status: string;
  expiresAt: string | null;
  materialDefinition: { code: string };
  location: { path: string } | null;
  properties: PropertyValue[];
  sublots?: HubSublot[];
}

const DEFINITION = 'code name unitOfMeasure materialClass { code } properties { name value }';
const LOT = `lotNumber quantity unitOfMeasure status expiresAt materialDefinition { code } location { path }
  properties { name value } ${SUBLOT_FIELDS}`;

export async function readAll<T>(hub: HubClient, field: string, fields: string): Promise<T[]> {
  const query = `query ($after: String) { ${field}(first: 500, after: $after) {
    edges { node { ${fields} } } pageInfo { hasNextPage endCursor } } }`;
  const all: T[] = [];
  let after: string | null = null;
  for (let page = 0; page < 1000; page++) {
    type Page = { edges: { node: T }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    const data: Record<string, Page> = await request<Record<string, Page>>(hub, query, { after });
    const list = data[field]!;
    all.push(...list.edges.map((e) => e.node));
    if (!list.pageInfo.hasNextPage) break;
    after = list.pageInfo.endCursor;
  }
  return all;
}

export const readHubMaterialDefinitions = (hub: HubClient) =>
  readAll<HubMaterialDefinition>(hub, 'materialDefinitions', DEFINITION);
export const readHubMaterialLots = (hub: HubClient) => readAll<HubMaterialLot>(hub, 'materialLots', LOT);

export function materialDefinitionOut(d: HubMaterialDefinition): XmlOut {
  return {
    ID: d.code,
    Description: d.name,
    MaterialDefinitionProperty: [
      {
        ID: UNIT_PROPERTY,
        Value: { ValueString: d.unitOfMeasure, DataType: 'string', UnitOfMeasure: d.unitOfMeasure },
      },
      ...d.properties.map(propertyOut),
    ],
    MaterialClassID: d.materialClass?.code,
  };
}

/** The hub's lot status as a V0701 Disposition. */
const DISPOSITION: Record<string, string> = {
  Quarantine: 'Restricted',
  OnHold: 'Restricted',
  Released: 'UnRestricted',
  Rejected: 'Closed',
  Consumed: 'Closed',
};
const HUB_STATUS: Record<string, string> = { Restricted: 'Quarantine', UnRestricted: 'Released', Closed: 'Consumed' };

export function materialLotOut(l: HubMaterialLot): XmlOut {
  return {
    ID: l.lotNumber,
    EffectiveEndDate: l.expiresAt ?? undefined,
    MaterialDefinitionID: l.materialDefinition.code,
    Status: l.status,
    Disposition: DISPOSITION[l.status] ?? 'Other',
    MaterialLotProperty: l.properties.map(propertyOut),
    MaterialSubLot: sublotsOut(l.sublots ?? [], l.unitOfMeasure, (status) => DISPOSITION[status] ?? 'Other'),
    StorageLocation: l.location ? { Location: l.location.path, LocationType: 'Equipment' } : undefined,
    Quantity: { QuantityString: String(l.quantity), DataType: 'double', UnitOfMeasure: l.unitOfMeasure },
  };
}

type Reason = ImportOutcome['reasons'][number];
const problem = (code: string, field: string, message: string, value?: string): Reason => ({
  code,
  field,
  value,
  message: `${field} ${message}`,
});

export function materialDefinitionsIn(dataArea: XmlNode) {
  return children(dataArea, 'MaterialDefinition').map((node, i) => {
    const at = `MaterialDefinition[${i + 1}]`;
    const { properties, problems } = propertiesIn(node, 'MaterialDefinitionProperty', at, new Set([UNIT_PROPERTY]));
    const unit = children(node, 'MaterialDefinitionProperty').find((p) => text(p, 'ID') === UNIT_PROPERTY);
    const code = text(node, 'ID')!;
    return {
      at,
      code,
      name: text(node, 'Description') ?? code,
      unitOfMeasure: text(child(unit, 'Value'), 'ValueString'),
      materialClass: text(node, 'MaterialClassID'),
      properties,
      problems,
    };
  });
}

export function materialLotsIn(dataArea: XmlNode) {
  return children(dataArea, 'MaterialLot').map((node, i) => {
    const at = `MaterialLot[${i + 1}]`;
    const { properties, problems } = propertiesIn(node, 'MaterialLotProperty', at);
    const quantityNode = child(node, 'Quantity');
    const raw = text(quantityNode, 'QuantityString');
    const quantity = Number(raw);
    if (raw === undefined || !Number.isFinite(quantity) || quantity < 0)
      problems.push(problem('InvalidQuantity', `${at}/Quantity/QuantityString`, 'must be a number, zero or more', raw));
    const status = text(node, 'Status') ?? HUB_STATUS[text(node, 'Disposition') ?? ''];
    const definition = text(node, 'MaterialDefinitionID');
    if (!definition)
      problems.push(problem('MissingDefinition', `${at}/MaterialDefinitionID`, 'must name the material'));
    const location = child(node, 'StorageLocation');
    if (location && text(location, 'LocationType') !== 'Equipment')
      problems.push(
        problem('Location', `${at}/StorageLocation/LocationType`, 'must be Equipment (a hub equipment path)'),
      );
    return {
      at,
      lotNumber: text(node, 'ID')!,
      materialDefinition: definition ?? '',
      quantity,
      unitOfMeasure: text(quantityNode, 'UnitOfMeasure') ?? null,
      status,
      expiresAt: text(node, 'EffectiveEndDate') ?? null,
      location: text(location, 'Location') ?? null,
      properties,
      problems,
      sublots: sublotsIn(node, at, (disposition) => HUB_STATUS[disposition]),
    };
  });
}

const M = {
  def: `query ($c: String!) { materialDefinition(code: $c) { ${DEFINITION} } }`,
  createDef: `mutation ($i: CreateMaterialDefinitionInput!) { r: createMaterialDefinition(input: $i) {
    __typename ... on ErrorResult { code message } } }`,
  updateDef: `mutation ($c: String!, $i: UpdateMaterialDefinitionInput!) {
    r: updateMaterialDefinition(code: $c, input: $i) {
    __typename ... on ErrorResult { code message } } }`,
  lot: `query ($l: String!) { materialLot(lotNumber: $l) { ${LOT} } }`,
  createLot: `mutation ($i: CreateMaterialLotInput!) { r: createMaterialLot(input: $i) {
    __typename ... on ErrorResult { code message } } }`,
  updateLot: `mutation ($l: String!, $i: UpdateMaterialLotInput!) { r: updateMaterialLot(lotNumber: $l, input: $i) {
    __typename ... on ErrorResult { code message } } }`,
};

export async function importMaterialDefinitions(
  hub: HubClient,
  records: ReturnType<typeof materialDefinitionsIn>,
  changeOnly = false,
): Promise<ImportOutcome[]> {
  const outcomes: ImportOutcome[] = [];
  for (const r of records) {
    const done = (outcome: ImportOutcome['outcome'], reasons: Reason[] = []) =>
      outcomes.push({ reference: r.code, outcome, hubReference: r.code, reasons });
    if (r.problems.length) {
      done('Rejected', r.problems);
      continue;
    }
    const held = (await request<{ materialDefinition: HubMaterialDefinition | null }>(hub, M.def, { c: r.code }))
      .materialDefinition;
    if (!held) {
      if (changeOnly) {
        done('Rejected', [notHeld(`${r.at}/ID`, `material ${r.code}`, 'ProcessMaterialDefinition')]);
        continue;
      }
      if (!r.unitOfMeasure) {
        done('Rejected', [
          problem('MissingUnit', `${r.at}/MaterialDefinitionProperty`, `needs one with ID ${UNIT_PROPERTY} (the unit)`),
        ]);
        continue;
      }
      const input = {
        ...pick(r, ['code', 'name', 'unitOfMeasure', 'properties']),
        materialClass: r.materialClass ?? null,
      };
      const refused = hubRefusal(
        (await request<{ r: Answer }>(hub, M.createDef, { i: input })).r,
        'MaterialDefinition',
        r.at,
      );
      done(refused ? 'Rejected' : 'Created', refused ? [refused] : []);
      continue;
    }
    if (r.unitOfMeasure && r.unitOfMeasure !== held.unitOfMeasure) {
      const message = `is ${r.unitOfMeasure}, but ${r.code} is kept in ${held.unitOfMeasure} in the hub`;
      done('Conflict', [problem('UnitDiffers', `${r.at}/MaterialDefinitionProperty/${UNIT_PROPERTY}`, message)]);
      continue;
    }
    if (
      held.name === r.name &&
      held.materialClass?.code === r.materialClass &&
      sameProperties(held.properties, r.properties)
    ) {
      done('Unchanged');
      continue;
    }
    const input = { name: r.name, materialClass: r.materialClass ?? null, properties: r.properties };
    const refused = hubRefusal(
      (await request<{ r: Answer }>(hub, M.updateDef, { c: r.code, i: input })).r,
      'MaterialDefinition',
      r.at,
    );
    done(refused ? 'Rejected' : 'Updated', refused ? [refused] : []);
  }
  return outcomes;
}

type LotRecord = ReturnType<typeof materialLotsIn>[number];
type LotAnswer = { outcome: ImportOutcome['outcome']; reasons?: Reason[]; held?: HubMaterialLot };

/**
 * Creates or updates each lot, one by one, each with its own outcome, then the sublots of each lot taken
 * (`<lot>/<sublot>`, sublots.ts). With `changeOnly` (a Change document) a lot the hub does not hold is
 * refused rather than created.
 */
export async function importMaterialLots(
  hub: HubClient,
  records: ReturnType<typeof materialLotsIn>,
  reason: string,
  changeOnly = false,
): Promise<ImportOutcome[]> {
  const outcomes: ImportOutcome[] = [];
  for (const r of records) {
    const { outcome, reasons = [], held } = await importLot(hub, r, reason, changeOnly);
    outcomes.push({ reference: r.lotNumber, outcome, hubReference: r.lotNumber, reasons });
    if (outcome !== 'Rejected' && outcome !== 'Conflict' && r.sublots.length)
      outcomes.push(...(await importSublots(hub, r.lotNumber, r.sublots, held?.sublots ?? [], changeOnly)));
  }
  return outcomes;
}

async function importLot(hub: HubClient, r: LotRecord, reason: string, changeOnly: boolean): Promise<LotAnswer> {
  if (r.problems.length) return { outcome: 'Rejected', reasons: r.problems };
  const held = (await request<{ materialLot: HubMaterialLot | null }>(hub, M.lot, { l: r.lotNumber })).materialLot;
  if (!held) {
    if (changeOnly)
      return { outcome: 'Rejected', reasons: [notHeld(`${r.at}/ID`, `lot ${r.lotNumber}`, 'ProcessMaterialLot')] };
    const input = {
      ...pick(r, [
        'lotNumber',
        'materialDefinition',
        'quantity',
        'unitOfMeasure',
        'expiresAt',
        'location',
        'properties',
      ]),
      ...(r.status ? { status: r.status } : {}),
    };
    const refused = hubRefusal((await request<{ r: Answer }>(hub, M.createLot, { i: input })).r, 'MaterialLot', r.at);
    return refused ? { outcome: 'Rejected', reasons: [refused] } : { outcome: 'Created' };
  }
  if (held.materialDefinition.code !== r.materialDefinition) {
    const message = `is ${r.materialDefinition} but lot ${r.lotNumber} is ${held.materialDefinition.code} in the hub`;
    return { outcome: 'Conflict', reasons: [problem('DefinitionDiffers', `${r.at}/MaterialDefinitionID`, message)] };
  }
  const changes: Record<string, unknown> = {};
  if (held.quantity !== r.quantity) changes.quantity = r.quantity;
  if (r.status && held.status !== r.status) Object.assign(changes, { status: r.status, reason });
  if ((held.location?.path ?? null) !== r.location) changes.location = r.location;
  if (!sameInstant(held.expiresAt, r.expiresAt)) changes.expiresAt = r.expiresAt;
  if (!sameProperties(held.properties, r.properties)) changes.properties = r.properties;
  if (!Object.keys(changes).length) return { outcome: 'Unchanged', held };
  const refused = hubRefusal(
    (await request<{ r: Answer }>(hub, M.updateLot, { l: r.lotNumber, i: changes })).r,
    'MaterialLot',
    r.at,
  );
  return refused ? { outcome: 'Rejected', reasons: [refused] } : { outcome: 'Updated', held };
}

function sameInstant(a: string | null, b: string | null): boolean {
  return a === b || (a !== null && b !== null && Date.parse(a) === Date.parse(b));
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as Pick<T, K>;
}
