// EquipmentClass and MaterialClass both ways. A hub class is a code, a description and the properties
// its members give (name, data type, unit, whether every member must give it); an equipment class also
// has an ideal cycle time. In V0701:
// - `ID` is the code, `Description` the description;
// - each property definition is an `EquipmentClassProperty` (`MaterialClassProperty`) with
//   `PropertyType` `InstanceType` (the class gives no value, each member does), its data type and unit
//   in a `Value` whose `ValueString` is empty, and, when every member must give it, a child property
//   `Required` with the value `true` (V0701 has no element for it);
// - the ideal cycle time is the one value the class itself holds: the property `IdealCycleTimeSeconds`
//   with `PropertyType` `ClassType`.
// The hub's classes are flat: class children, base classes and assembly classes are refused.

import { type HubClient, type ImportOutcome, request } from '@plantgraph/connector-sdk';
import { type Answer, hubRefusal, notHeld } from './equipment.js';
import { readAll } from './material.js';
import { child, children, text, type XmlNode, type XmlOut } from './xml.js';

export type ClassNoun = 'EquipmentClass' | 'MaterialClass';
type Reason = ImportOutcome['reasons'][number];

export interface HubPropertyDefinition {
  name: string;
  dataType: string;
  unitOfMeasure: string | null;
  required: boolean;
  description: string | null;
}

export interface HubClass {
  code: string;
  description: string | null;
  properties: HubPropertyDefinition[];
  /** Equipment classes only. */
  idealCycleTimeSeconds?: number | null;
}

/** The hub's property data types as V0701 DataType codes, and the codes read back (any V0701 synonym). */
const DATA_TYPE_OUT: Record<string, string> = {
  String: 'string',
  Integer: 'integer',
  Decimal: 'decimal',
  Boolean: 'boolean',
  DateTime: 'dateTime',
};
const DATA_TYPE_IN: Record<string, string> = {
  ...Object.fromEntries(Object.entries(DATA_TYPE_OUT).map(([hub, b2mml]) => [b2mml, hub])),
  Text: 'String',
  Code: 'String',
  Identifier: 'String',
  Numeric: 'Decimal',
  Quantity: 'Decimal',
  Measure: 'Decimal',
  Amount: 'Decimal',
  double: 'Decimal',
  float: 'Decimal',
  int: 'Integer',
  long: 'Integer',
  short: 'Integer',
  Indicator: 'Boolean',
  DateTime: 'DateTime',
};

export const REQUIRED_PROPERTY = 'Required';
export const CYCLE_TIME_PROPERTY = 'IdealCycleTimeSeconds';

const PROPERTY = 'properties { name dataType unitOfMeasure required description }';
const FIELDS: Record<ClassNoun, string> = {
  EquipmentClass: `code description idealCycleTimeSeconds ${PROPERTY}`,
  MaterialClass: `code description ${PROPERTY}`,
};
const LIST_FIELD: Record<ClassNoun, string> = { EquipmentClass: 'equipmentClasses', MaterialClass: 'materialClasses' };
const ONE_FIELD: Record<ClassNoun, string> = { EquipmentClass: 'equipmentClass', MaterialClass: 'materialClass' };

/** The hub's classes of one kind, every page. */
export const readHubClasses = (hub: HubClient, noun: ClassNoun) =>
  readAll<HubClass>(hub, LIST_FIELD[noun], FIELDS[noun]);

/** One hub class as its V0701 element. */
export function classOut(noun: ClassNoun, c: HubClass): XmlOut {
  const property = `${noun}Property`;
  const definitions: XmlOut[] = c.properties.map((p) => ({
    ID: p.name,
    Description: p.description ?? undefined,
    PropertyType: 'InstanceType',
    Value: {
      ValueString: '',
      DataType: DATA_TYPE_OUT[p.dataType] ?? 'string',
      UnitOfMeasure: p.unitOfMeasure ?? undefined,
    },
    [`${property}Child`]: p.required
      ? [{ ID: REQUIRED_PROPERTY, Value: { ValueString: 'true', DataType: 'boolean' } }]
      : [],
  }));
  if (c.idealCycleTimeSeconds != null)
    definitions.push({
      ID: CYCLE_TIME_PROPERTY,
      PropertyType: 'ClassType',
      Value: { ValueString: String(c.idealCycleTimeSeconds), DataType: 'double', UnitOfMeasure: 's' },
    });
  // V0701 puts the properties of a material class after its base classes, of an equipment class after
  // its level: with neither written, the order of ID, Description and the properties is the same.
  return { ID: c.code, Description: c.description ?? undefined, [property]: definitions };
}

/** One class record of a document, with the element path to name in messages. */
export interface ClassRecord {
  at: string;
  code: string;
  description: string | null;
  properties: HubPropertyDefinition[];
  idealCycleTimeSeconds: number | null;
  problems: Reason[];
}

const FLAT: Record<ClassNoun, string[]> = {
  EquipmentClass: ['EquipmentClassChild', 'EquipmentClassBaseID'],
  MaterialClass: ['MaterialClassBaseID', 'AssemblyClass'],
};

/** Every class of a DataArea, with the problems that keep each from being imported. */
export function classesIn(noun: ClassNoun, dataArea: XmlNode): ClassRecord[] {
  const property = `${noun}Property`;
  return children(dataArea, noun).map((node, i) => {
    const at = `${noun}[${i + 1}]`;
    const problems: Reason[] = [];
    for (const element of FLAT[noun])
      if (children(node, element).length)
        problems.push({
          code: 'ClassHierarchy',
          field: `${at}/${element}`,
          message: `${at}/${element}: the hub's classes are flat; leave it out and send each class on its own`,
        });
    const record: ClassRecord = {
      at,
      code: text(node, 'ID')!,
      description: text(node, 'Description') ?? null,
      properties: [],
      idealCycleTimeSeconds: null,
      problems,
    };
    children(node, property).forEach((p, j) => {
      readDefinition(noun, record, p, `${at}/${property}[${j + 1}]`);
    });
    return record;
  });
}

function readDefinition(noun: ClassNoun, record: ClassRecord, node: XmlNode, at: string): void {
  const name = text(node, 'ID')!;
  const value = child(node, 'Value');
  const kind = text(node, 'PropertyType') ?? 'InstanceType';
  const fail = (code: string, field: string, message: string, given?: string) =>
    record.problems.push({ code, field, value: given, message: `${field} ${message}` });
  if (kind === 'ClassType') {
    const raw = text(value, 'ValueString');
    const seconds = Number(raw);
    if (noun !== 'EquipmentClass' || name !== CYCLE_TIME_PROPERTY)
      fail(
        'ClassValue',
        `${at}/PropertyType`,
        `is ClassType: the hub keeps no class values but an equipment class's \
${CYCLE_TIME_PROPERTY}; send ${name} as InstanceType`,
      );
    else if (raw === undefined || !Number.isFinite(seconds) || seconds <= 0)
      fail('InvalidValue', `${at}/Value/ValueString`, 'must be the ideal cycle time in seconds, above zero', raw);
    else record.idealCycleTimeSeconds = seconds;
    return;
  }
  if (kind !== 'InstanceType' && kind !== 'DefaultType')
    fail('PropertyType', `${at}/PropertyType`, 'must be InstanceType (each member gives the value)', kind);
  const declared = text(value, 'DataType') ?? 'string';
  const dataType = DATA_TYPE_IN[declared];
  if (!dataType)
    fail(
      'DataType',
      `${at}/Value/DataType`,
      `${declared} has no hub data type: use string, integer, decimal, \
boolean or dateTime`,
      declared,
    );
  const required = children(node, `${noun}PropertyChild`).some(
    (c) => text(c, 'ID') === REQUIRED_PROPERTY && text(child(c, 'Value'), 'ValueString') === 'true',
  );
  record.properties.push({
    name,
    dataType: dataType ?? 'String',
    unitOfMeasure: text(value, 'UnitOfMeasure') ?? null,
    required,
    description: text(node, 'Description') ?? null,
  });
}

function sameClass(held: HubClass, r: ClassRecord): boolean {
  const key = (p: HubPropertyDefinition) =>
    JSON.stringify([p.name, p.dataType, p.unitOfMeasure ?? null, p.required, p.description ?? null]);
  const a = held.properties.map(key).sort();
  const b = r.properties.map(key).sort();
  return (
    (held.description ?? null) === r.description &&
    (held.idealCycleTimeSeconds ?? null) === r.idealCycleTimeSeconds &&
    a.length === b.length &&
    a.every((k, i) => k === b[i])
  );
}

/**
 * Creates or updates each class in the hub, one by one, each with its own outcome. With `changeOnly`
 * (a Change document) a class the hub does not hold is refused rather than created.
 */
export async function importClasses(
  hub: HubClient,
  noun: ClassNoun,
  records: ClassRecord[],
  changeOnly = false,
): Promise<ImportOutcome[]> {
  const outcomes: ImportOutcome[] = [];
  for (const r of records) {
    const [outcome, reasons] = r.problems.length
      ? (['Rejected', r.problems] as const)
      : await importClass(hub, noun, r, changeOnly);
    outcomes.push({ reference: r.code, outcome, hubReference: r.code, reasons: [...reasons] });
  }
  return outcomes;
}

const RESULT = '__typename ... on ErrorResult { code message }';

async function importClass(
  hub: HubClient,
  noun: ClassNoun,
  r: ClassRecord,
  changeOnly: boolean,
): Promise<readonly [ImportOutcome['outcome'], readonly Reason[]]> {
  const fields = {
    description: r.description,
    properties: r.properties,
    ...(noun === 'EquipmentClass' ? { idealCycleTimeSeconds: r.idealCycleTimeSeconds } : {}),
  };
  const held = `query ($c: String!) { c: ${ONE_FIELD[noun]}(code: $c) { ${FIELDS[noun]} } }`;
  const existing = (await request<{ c: HubClass | null }>(hub, held, { c: r.code })).c;
  if (existing && sameClass(existing, r)) return ['Unchanged', []];
  if (!existing && changeOnly) return ['Rejected', [notHeld(`${r.at}/ID`, `${noun} ${r.code}`, `Process${noun}`)]];
  const answer = existing
    ? await request<{ r: Answer }>(
        hub,
        `mutation ($c: String!, $i: Update${noun}Input!) { r: update${noun}(code: $c, input: $i) { ${RESULT} } }`,
        { c: r.code, i: fields },
      )
    : await request<{ r: Answer }>(
        hub,
        `mutation ($i: Create${noun}Input!) { r: create${noun}(input: $i) { ${RESULT} } }`,
        { i: { code: r.code, ...fields } },
      );
  const refused = hubRefusal(answer.r, noun, r.at);
  if (refused) return ['Rejected', [refused]];
  return [existing ? 'Updated' : 'Created', []];
}
