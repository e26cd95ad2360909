// The simulator's model of a service, read from its metadata file so the file is the one source of
// truth: what is served is what $metadata declares, and what is posted is checked against it.
// Values inside the simulator are JS values: strings, numbers (Edm.Decimal too), booleans, Dates
// (Edm.DateTime as UTC midnight), Edm.Time as milliseconds since midnight.

import { readFileSync } from 'node:fs';
import { SimError } from './sap-error.js';

export type EdmType =
  | 'Edm.String'
  | 'Edm.Decimal'
  | 'Edm.Boolean'
  | 'Edm.DateTime'
  | 'Edm.DateTimeOffset'
  | 'Edm.Time'
  | 'Edm.Guid'
  | 'Edm.Int32'
  | 'Edm.Byte';

export type Value = string | number | boolean | Date | null;
export type Row = Record<string, Value>;

export interface EdmProperty {
  name: string;
  type: EdmType;
  nullable: boolean;
  maxLength?: number;
  scale?: number;
}

export interface EdmEntityType {
  name: string;
  fullName: string;
  keys: string[];
  properties: Map<string, EdmProperty>;
  /** Navigation property -> target entity type (full name); all to-many here. */
  navigation: Map<string, string>;
}

export interface EdmFunctionImport {
  name: string;
  httpMethod: string;
  returnType: string;
  parameters: Map<string, EdmProperty>;
}

export interface EdmService {
  name: string;
  xml: string;
  types: Map<string, EdmEntityType>;
  /** Entity set name -> entity type. */
  sets: Map<string, EdmEntityType>;
  functions: Map<string, EdmFunctionImport>;
}

const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];

function property(tag: string): EdmProperty {
  const maxLength = attr(tag, 'MaxLength');
  const scale = attr(tag, 'Scale');
  return {
    name: attr(tag, 'Name') ?? '',
    type: (attr(tag, 'Type') ?? 'Edm.String') as EdmType,
    nullable: attr(tag, 'Nullable') !== 'false',
    maxLength: maxLength === undefined ? undefined : Number(maxLength),
    scale: scale === undefined ? undefined : Number(scale),
  };
}

/** Reads the subset of EDMX the simulator's own metadata files use. */
export function loadService(file: URL): EdmService {
  const xml = readFileSync(file, 'utf8');
  const namespace = /<Schema Namespace="([^"]+)"/.exec(xml)?.[1] ?? '';
  const roles = new Map<string, string>();
  for (const association of xml.matchAll(/<Association Name="[^"]+"[^>]*>([\s\S]*?)<\/Association>/g)) {
    for (const end of association[1].matchAll(/<End [^>]*\/>/g))
      roles.set(attr(end[0], 'Role') ?? '', attr(end[0], 'Type') ?? '');
  }
  const types = new Map<string, EdmEntityType>();
  for (const match of xml.matchAll(/<EntityType Name="([^"]+)"[^>]*>([\s\S]*?)<\/EntityType>/g)) {
    const body = match[2];
    const type: EdmEntityType = {
      name: match[1],
      fullName: `${namespace}.${match[1]}`,
      keys: [...body.matchAll(/<PropertyRef Name="([^"]+)"/g)].map((m) => m[1]),
      properties: new Map([...body.matchAll(/<Property [^>]*\/>/g)].map((m) => [property(m[0]).name, property(m[0])])),
      navigation: new Map(
        [...body.matchAll(/<NavigationProperty [^>]*\/>/g)].map((m) => [
          attr(m[0], 'Name') ?? '',
          roles.get(attr(m[0], 'ToRole') ?? '') ?? '',
        ]),
      ),
    };
    types.set(type.fullName, type);
  }
  const sets = new Map<string, EdmEntityType>();
  for (const match of xml.matchAll(/<EntitySet [^>]*\/>/g)) {
    const type = types.get(attr(match[0], 'EntityType') ?? '');
    if (type) sets.set(attr(match[0], 'Name') ?? '', type);
  }
  const functions = new Map<string, EdmFunctionImport>();
  for (const match of xml.matchAll(/<FunctionImport ([^>]*)>([\s\S]*?)<\/FunctionImport>/g)) {
    const head = ` ${match[1]}`;
    functions.set(attr(head, 'Name') ?? '', {
      name: attr(head, 'Name') ?? '',
      httpMethod: attr(head, 'm:HttpMethod') ?? 'GET',
      returnType: attr(head, 'ReturnType') ?? '',
      parameters: new Map(
        [...match[2].matchAll(/<Parameter [^>]*\/>/g)].map((m) => [property(m[0]).name, property(m[0])]),
      ),
    });
  }
  return { name: namespace, xml, types, sets, functions };
}

const EMPTY_GUID = '00000000-0000-0000-0000-000000000000';

/** A value as Gateway writes it in JSON; absent values as Gateway's initial values. */
export function toJson(value: Value | undefined, property: EdmProperty): unknown {
  const missing = value === undefined || value === null;
  switch (property.type) {
    case 'Edm.String':
      return missing ? '' : String(value);
    case 'Edm.Decimal':
      return (missing ? 0 : Number(value)).toFixed(property.scale ?? 0);
    case 'Edm.Boolean':
      return missing ? false : Boolean(value);
    case 'Edm.DateTime':
      return missing ? null : `/Date(${(value as Date).getTime()})/`;
    case 'Edm.DateTimeOffset':
      return missing ? null : `/Date(${(value as Date).getTime()}+0000)/`;
    case 'Edm.Time':
      return formatTime(missing ? 0 : Number(value));
    case 'Edm.Guid':
      return missing ? EMPTY_GUID : String(value);
    case 'Edm.Int32':
    case 'Edm.Byte':
      return missing ? 0 : Number(value);
  }
}

export function formatTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `PT${pad(Math.floor(s / 3600))}H${pad(Math.floor(s / 60) % 60)}M${pad(s % 60)}S`;
}

const invalid = (property: EdmProperty, value: unknown, why: string) =>
  new SimError(400, '/IWBEP/CM_MGW_RT/022', `Invalid value '${String(value)}' for property '${property.name}': ${why}`);

/** A value from a request body, checked as Gateway checks it; throws a 400 SimError. */
export function fromJson(value: unknown, property: EdmProperty): Value {
  if (value === null) {
    if (!property.nullable) throw invalid(property, value, 'not nullable');
    return null;
  }
  switch (property.type) {
    case 'Edm.String':
      if (typeof value !== 'string') throw invalid(property, value, 'expected a string');
      if (property.maxLength !== undefined && value.length > property.maxLength) {
        throw invalid(property, value, `longer than ${property.maxLength} characters`);
      }
      return value;
    case 'Edm.Decimal': {
      // JSON numbers would lose precision: V2 sends decimals as strings.
      if (typeof value !== 'string' || !/^-?\d+(\.\d+)?$/.test(value))
        throw invalid(property, value, 'expected a decimal string');
      const [, decimals = ''] = value.split('.');
      if (property.scale !== undefined && decimals.length > property.scale)
        throw invalid(property, value, `more than ${property.scale} decimals`);
      return Number(value);
    }
    case 'Edm.Boolean':
      if (typeof value !== 'boolean') throw invalid(property, value, 'expected true or false');
      return value;
    case 'Edm.DateTime':
    case 'Edm.DateTimeOffset': {
      const match = typeof value === 'string' ? /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(value) : null;
      if (match) return new Date(Number(match[1]));
      const parsed =
        typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)
          ? Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`)
          : NaN;
      if (Number.isNaN(parsed)) throw invalid(property, value, 'expected /Date(ms)/');
      return new Date(parsed);
    }
    case 'Edm.Time': {
      const match = typeof value === 'string' ? /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(value) : null;
      if (!match) throw invalid(property, value, 'expected PTnnHnnMnnS');
      return ((Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 60 + Number(match[3] ?? 0)) * 1000;
    }
    case 'Edm.Guid':
      if (typeof value !== 'string' || !/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(value))
        throw invalid(property, value, 'expected a GUID');
      return value.toLowerCase();
    case 'Edm.Int32':
    case 'Edm.Byte':
      if (!Number.isInteger(value)) throw invalid(property, value, 'expected an integer');
      return value as number;
  }
}

/** A request body's fields for an entity type: unknown properties are refused, as Gateway does. */
export function rowFromJson(
  type: EdmEntityType,
  body: Record<string, unknown>,
): { row: Row; navigation: Map<string, unknown> } {
  const row: Row = {};
  const navigation = new Map<string, unknown>();
  for (const [name, value] of Object.entries(body)) {
    if (name === '__metadata') continue;
    const property = type.properties.get(name);
    if (property) row[name] = fromJson(value, property);
    else if (type.navigation.has(name)) navigation.set(name, value);
    else throw new SimError(400, '/IWBEP/CM_MGW_RT/020', `Property '${name}' is invalid`);
  }
  return { row, navigation };
}

/** The key predicate of an entity's URI: ('1') or (A='1',B='2'). */
export function keyPredicate(type: EdmEntityType, row: Row): string {
  const literal = (name: string) => {
    const property = type.properties.get(name);
    const value = row[name];
    return property?.type === 'Edm.Guid' ? `guid'${String(value)}'` : `'${String(value ?? '').replace(/'/g, "''")}'`;
  };
  if (type.keys.length === 1) return `(${literal(type.keys[0])})`;
  return `(${type.keys.map((k) => `${k}=${literal(k)}`).join(',')})`;
}
