// Hub property values (string, number, boolean, ISO date-time) as B2MML properties (ID, Value with
// ValueString and DataType) and back. The DataType says how to read the text again, so a round trip
// gives the same JSON value.

import type { ImportReason } from '@plantgraph/connector-sdk';
import { child, children, text, type XmlNode, type XmlOut } from './xml.js';

export interface PropertyValue {
  name: string;
  value: unknown;
}

/** One property element, e.g. EquipmentProperty: `ID` and its `Value`. */
export function propertyOut(p: PropertyValue): XmlOut {
  const dataType = typeof p.value === 'number' ? 'double' : typeof p.value === 'boolean' ? 'boolean' : 'string';
  return { ID: p.name, Value: { ValueString: String(p.value), DataType: dataType } };
}

/** The properties named `element` of a record, or the problems naming each bad one. */
export function propertiesIn(
  record: XmlNode,
  element: string,
  path: string,
  skip: ReadonlySet<string> = new Set(),
): { properties: PropertyValue[]; problems: ImportReason[] } {
  const properties: PropertyValue[] = [];
  const problems: ImportReason[] = [];
  children(record, element).forEach((node, i) => {
    const name = text(node, 'ID')!;
    if (skip.has(name)) return;
    const value = child(node, 'Value');
    const raw = text(value, 'ValueString');
    const field = `${path}/${element}[${i + 1}]/Value/ValueString`;
    if (raw === undefined) {
      problems.push({ code: 'MissingValue', field, message: `${field} is missing: give the value of ${name}` });
      return;
    }
    const dataType = text(value, 'DataType') ?? 'string';
    if (['double', 'decimal', 'float', 'integer', 'int', 'long', 'Numeric', 'Quantity', 'Measure'].includes(dataType)) {
      const n = Number(raw);
      if (!Number.isFinite(n))
        problems.push({
          code: 'InvalidValue',
          field,
          value: raw,
          message: `${field} must be a number (DataType ${dataType})`,
        });
      else properties.push({ name, value: n });
    } else if (dataType === 'boolean' || dataType === 'Indicator') {
      if (raw !== 'true' && raw !== 'false')
        problems.push({ code: 'InvalidValue', field, value: raw, message: `${field} must be true or false` });
      else properties.push({ name, value: raw === 'true' });
    } else properties.push({ name, value: raw });
  });
  return { properties, problems };
}

/** Same properties, order aside. */
export function sameProperties(a: PropertyValue[], b: PropertyValue[]): boolean {
  if (a.length !== b.length) return false;
  const byName = new Map(a.map((p) => [p.name, p.value]));
  return b.every((p) => byName.has(p.name) && byName.get(p.name) === p.value);
}
