// A small declarative validator in the spirit of JSON Schema: enough for the mapping document, with
// messages that name the field and say what is expected. A full JSON Schema engine would be a
// dependency for five keywords.

import type { MappingIssue } from './types.js';

export interface StringSchema {
  type: 'string';
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  /** Said when the pattern does not match, e.g. "digits only". */
  expected?: string;
  enum?: readonly string[];
}

export type Schema =
  | StringSchema
  | { type: 'boolean' }
  | { type: 'integer'; enum?: readonly number[] }
  | { type: 'array'; items: Schema; minItems?: number }
  | { type: 'object'; properties: Record<string, Schema>; required?: readonly string[] }
  | { type: 'record'; keys: StringSchema; values: Schema; what?: string };

/** `a.b[0]["KEY"]`: how a path is written in messages. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

export function validate(schema: Schema, value: unknown, path = ''): MappingIssue[] {
  const at = path || '(document)';
  switch (schema.type) {
    case 'string':
      return checkString(schema, value, at, 'is');
    case 'boolean':
      return typeof value === 'boolean' ? [] : [{ path: at, message: `must be true or false, not ${describe(value)}` }];
    case 'integer':
      if (!Number.isInteger(value)) return [{ path: at, message: `must be a whole number, not ${describe(value)}` }];
      if (schema.enum && !schema.enum.includes(value as number)) {
        return [{ path: at, message: `must be ${schema.enum.join(' or ')}, not ${String(value)}` }];
      }
      return [];
    case 'array': {
      if (!Array.isArray(value)) return [{ path: at, message: `must be a list, not ${describe(value)}` }];
      if (schema.minItems && value.length < schema.minItems) {
        return [{ path: at, message: `needs at least ${schema.minItems} entr${schema.minItems === 1 ? 'y' : 'ies'}` }];
      }
      return value.flatMap((item, index) => validate(schema.items, item, childPath(path, index)));
    }
    case 'object': {
      if (!isPlainObject(value)) return [{ path: at, message: `must be an object, not ${describe(value)}` }];
      const issues: MappingIssue[] = [];
      for (const name of schema.required ?? []) {
        if (value[name] === undefined) issues.push({ path: childPath(path, name), message: 'is required' });
      }
      for (const [name, child] of Object.entries(value)) {
        const childSchema = schema.properties[name];
        if (!childSchema) {
          const known = Object.keys(schema.properties).join(', ');
          issues.push({ path: childPath(path, name), message: `is not a known field (known: ${known})` });
        } else if (child !== undefined) issues.push(...validate(childSchema, child, childPath(path, name)));
      }
      return issues;
    }
    case 'record': {
      if (!isPlainObject(value))
        return [{ path: at, message: `must be an object of ${schema.what ?? 'entries'}, not ${describe(value)}` }];
      return Object.entries(value).flatMap(([key, child]) => [
        ...checkString(schema.keys, key, childPath(path, key), 'as a key is'),
        ...validate(schema.values, child, childPath(path, key)),
      ]);
    }
  }
}

function checkString(schema: StringSchema, value: unknown, path: string, verb: string): MappingIssue[] {
  if (typeof value !== 'string') return [{ path, message: `must be text, not ${describe(value)}` }];
  const shown = JSON.stringify(value);
  if (schema.enum && !schema.enum.includes(value)) {
    return [{ path, message: `${shown} ${verb} not one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}` }];
  }
  if (value.length < (schema.minLength ?? 0))
    return [{ path, message: value === '' ? 'may not be empty' : `${shown} ${verb} too short` }];
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    return [
      { path, message: `${shown} ${verb} ${value.length} characters long; SAP allows at most ${schema.maxLength}` },
    ];
  }
  if (schema.pattern && !schema.pattern.test(value)) {
    return [{ path, message: `${shown} ${verb} not valid: expected ${schema.expected ?? String(schema.pattern)}` }];
  }
  return [];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
