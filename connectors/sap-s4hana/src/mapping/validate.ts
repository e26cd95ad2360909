// Validation of a mapping document when it is saved: the shape (schema.ts), then the rules that span
// fields: equipment under its plant's site, and every way back to SAP unambiguous (a hub unit, material
// or storage zone that two SAP codes map to could not be confirmed back).

import { childPath, validate, type Schema, type StringSchema } from './schema.js';
import type { MappingIssue, SapMapping } from './types.js';

const HUB_PATH: StringSchema = {
  type: 'string',
  minLength: 1,
  pattern: /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/,
  expected: 'a hub path: segments of letters, digits, - and _ separated by /',
};
const HUB_CODE: StringSchema = { type: 'string', minLength: 1, maxLength: 200 };
const sapCode = (maxLength: number, what: string): StringSchema => ({
  type: 'string',
  minLength: 1,
  maxLength,
  pattern: /^\S(.*\S)?$/,
  expected: `an SAP ${what} without leading or trailing spaces`,
});
const PLANT = sapCode(4, 'plant');
const STORAGE_LOCATION = sapCode(4, 'storage location');
const UNIT = sapCode(3, 'unit of measure');
const MATERIAL = sapCode(40, 'material number');
const MOVEMENT_TYPE: StringSchema = { type: 'string', pattern: /^\d{3}$/, expected: 'three digits, e.g. "261"' };

const PLANT_SCHEMA: Schema = {
  type: 'object',
  required: ['plant', 'site', 'workCenters'],
  properties: {
    plant: PLANT,
    site: HUB_PATH,
    timeZone: { type: 'string', minLength: 1 },
    workCenters: {
      type: 'record',
      keys: sapCode(8, 'work center'),
      values: HUB_PATH,
      what: 'work center -> equipment path',
    },
    storageLocations: {
      type: 'record',
      keys: STORAGE_LOCATION,
      values: HUB_PATH,
      what: 'storage location -> equipment path',
    },
    defaultStorageLocation: STORAGE_LOCATION,
    receiptStorageLocation: STORAGE_LOCATION,
  },
};

export const MAPPING_SCHEMA: Schema = {
  type: 'object',
  required: ['version', 'plants', 'units', 'materials', 'products'],
  properties: {
    version: { type: 'integer', enum: [1] },
    plants: { type: 'array', items: PLANT_SCHEMA, minItems: 1 },
    units: { type: 'record', keys: UNIT, values: HUB_CODE, what: 'SAP unit -> hub unit' },
    outboundUnits: { type: 'record', keys: HUB_CODE, values: UNIT, what: 'hub unit -> SAP unit' },
    materials: {
      type: 'record',
      keys: MATERIAL,
      values: HUB_CODE,
      what: 'SAP material -> hub material definition code',
    },
    products: { type: 'record', keys: MATERIAL, values: HUB_CODE, what: 'SAP material -> hub product definition code' },
    personnel: {
      type: 'record',
      keys: HUB_CODE,
      values: { type: 'string', pattern: /^\d{1,8}$/, expected: 'an SAP personnel number (up to 8 digits)' },
      what: 'hub employee id -> SAP personnel number',
    },
    confirmation: {
      type: 'object',
      properties: {
        goodsReceipt: { type: 'boolean' },
        consumptionMovementType: MOVEMENT_TYPE,
        receiptMovementType: MOVEMENT_TYPE,
      },
    },
  },
};

export type MappingValidation = { ok: true; mapping: SapMapping } | { ok: false; issues: MappingIssue[] };

/** Validates a mapping document (parsed JSON); every issue names the field to fix. */
export function validateMapping(document: unknown): MappingValidation {
  const issues = validate(MAPPING_SCHEMA, document);
  if (issues.length === 0) issues.push(...crossFieldIssues(document as SapMapping));
  return issues.length ? { ok: false, issues } : { ok: true, mapping: document as SapMapping };
}

export class MappingError extends Error {
  constructor(readonly issues: MappingIssue[]) {
    super(`invalid SAP mapping:\n${issues.map((i) => `- ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'MappingError';
  }
}

/** validateMapping for callers that prefer an exception. */
export function parseMapping(document: unknown): SapMapping {
  const result = validateMapping(typeof document === 'string' ? (JSON.parse(document) as unknown) : document);
  if (!result.ok) throw new MappingError(result.issues);
  return result.mapping;
}

function crossFieldIssues(mapping: SapMapping): MappingIssue[] {
  const issues: MappingIssue[] = [];
  const seenPlants = new Map<string, number>();
  mapping.plants.forEach((plant, index) => {
    const at = childPath('plants', index);
    const earlier = seenPlants.get(plant.plant);
    if (earlier !== undefined)
      issues.push({
        path: childPath(at, 'plant'),
        message: `plant "${plant.plant}" is already mapped in plants[${earlier}]`,
      });
    seenPlants.set(plant.plant, index);
    if (plant.timeZone !== undefined && !isTimeZone(plant.timeZone)) {
      issues.push({
        path: childPath(at, 'timeZone'),
        message: `"${plant.timeZone}" is not an IANA time zone, e.g. "Europe/Berlin"`,
      });
    }
    for (const [workCenter, equipment] of Object.entries(plant.workCenters)) {
      if (!equipment.startsWith(`${plant.site}/`)) {
        issues.push({
          path: childPath(childPath(at, 'workCenters'), workCenter),
          message: `"${equipment}" is not under the plant's site "${plant.site}"`,
        });
      }
    }
    issues.push(
      ...ambiguousWayBack(
        plant.storageLocations ?? {},
        childPath(at, 'storageLocations'),
        'storage zone',
        'lots there',
      ),
    );
  });
  issues.push(...ambiguousWayBack(mapping.materials, 'materials', 'hub material', 'consumed lots of it'));

  const sapUnitsOf = new Map<string, string[]>();
  for (const [sap, hub] of Object.entries(mapping.units)) sapUnitsOf.set(hub, [...(sapUnitsOf.get(hub) ?? []), sap]);
  const outbound = mapping.outboundUnits ?? {};
  for (const [hub, sapUnits] of sapUnitsOf) {
    if (sapUnits.length > 1 && outbound[hub] === undefined) {
      issues.push({
        path: childPath('outboundUnits', hub),
        message: `hub unit "${hub}" comes from SAP units ${sapUnits.join(', ')}; say which one to send back`,
      });
    }
  }
  for (const [hub, sap] of Object.entries(outbound)) {
    const from = sapUnitsOf.get(hub);
    if (!from)
      issues.push({ path: childPath('outboundUnits', hub), message: `hub unit "${hub}" is not a value in units` });
    else if (!from.includes(sap)) {
      issues.push({
        path: childPath('outboundUnits', hub),
        message: `"${sap}" is not one of the SAP units mapped to "${hub}" (${from.join(', ')})`,
      });
    }
  }
  return issues;
}

/** Issues for hub values that more than one SAP code maps to, where a value has to go back to SAP. */
function ambiguousWayBack(
  map: Record<string, string>,
  path: string,
  what: string,
  consequence: string,
): MappingIssue[] {
  const firstSapCode = new Map<string, string>();
  const issues: MappingIssue[] = [];
  for (const [sap, hub] of Object.entries(map)) {
    const other = firstSapCode.get(hub);
    if (other === undefined) firstSapCode.set(hub, sap);
    else {
      issues.push({
        path: childPath(path, sap),
        message: `${what} "${hub}" is already mapped from "${other}"; ${consequence} could not be posted back to one SAP code`,
      });
    }
  }
  return issues;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
