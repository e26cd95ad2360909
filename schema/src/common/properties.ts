import { Extensions, Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { GraphQLJSON } from 'graphql-scalars';

/** The value types an ISA-95 class property can declare. */
export enum PropertyDataType {
  String = 'String',
  Integer = 'Integer',
  Decimal = 'Decimal',
  Boolean = 'Boolean',
  DateTime = 'DateTime',
}
registerEnumType(PropertyDataType, { name: 'PropertyDataType' });

/** A typed property declared by a class (equipment class, material class …); stored as JSON. */
@ObjectType()
@InputType('PropertyDefinitionInput')
@Extensions({ allow: [Permission.Read] })
export class PropertyDefinition {
  @Field() name!: string;
  @Field(() => PropertyDataType) dataType!: PropertyDataType;
  @Field(() => String, { nullable: true }) unitOfMeasure?: string | null;
  @Field({ defaultValue: false, description: 'Every member of the class must give a value.' }) required!: boolean;
  @Field(() => String, { nullable: true }) description?: string | null;
}

/** A value given for a class property on a member (an equipment, a lot …); stored as JSON. */
@ObjectType()
@InputType('PropertyValueInput')
@Extensions({ allow: [Permission.Read] })
export class PropertyValue {
  @Field() name!: string;
  @Field(() => GraphQLJSON, {
    description: 'String, number, boolean or ISO-8601 date-time, per the declared data type.',
  })
  value!: string | number | boolean;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Checks declared properties; returns the first problem as [field, reason], or null. */
export function checkPropertyDefinitions(defs: PropertyDefinition[], field = 'properties'): [string, string] | null {
  const seen = new Set<string>();
  for (const [i, d] of defs.entries()) {
    if (!NAME.test(d.name))
      return [
        `${field}[${i}].name`,
        `"${d.name}" is not a valid property name (a letter, then letters, digits or _; at most 64).`,
      ];
    if (seen.has(d.name)) return [`${field}[${i}].name`, `property "${d.name}" is declared twice.`];
    seen.add(d.name);
  }
  return null;
}

/** Checks member values against the class's declarations; returns [property, reason] or null. */
export function checkPropertyValues(defs: PropertyDefinition[], values: PropertyValue[]): [string, string] | null {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const given = new Set<string>();
  for (const v of values) {
    const def = byName.get(v.name);
    if (!def) {
      const known = defs.map((d) => d.name).join(', ') || 'none';
      return [v.name, `the class declares no property "${v.name}" (declared: ${known}).`];
    }
    if (given.has(v.name)) return [v.name, `a value for "${v.name}" is given twice.`];
    given.add(v.name);
    const problem = valueProblem(def.dataType, v.value);
    if (problem) return [v.name, problem];
  }
  for (const d of defs)
    if (d.required && !given.has(d.name)) return [d.name, `the class requires a value for "${d.name}".`];
  return null;
}

function valueProblem(type: PropertyDataType, value: unknown): string | null {
  switch (type) {
    case PropertyDataType.String:
      return typeof value === 'string' ? null : `expected a string, got ${JSON.stringify(value)}.`;
    case PropertyDataType.Integer:
      return Number.isSafeInteger(value) ? null : `expected an integer, got ${JSON.stringify(value)}.`;
    case PropertyDataType.Decimal:
      return typeof value === 'number' && Number.isFinite(value)
        ? null
        : `expected a number, got ${JSON.stringify(value)}.`;
    case PropertyDataType.Boolean:
      return typeof value === 'boolean' ? null : `expected true or false, got ${JSON.stringify(value)}.`;
    case PropertyDataType.DateTime:
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))
        ? null
        : `expected an ISO-8601 date-time such as 2026-01-31T06:00:00Z, got ${JSON.stringify(value)}.`;
  }
}
