import {
  type PropertyDefinition,
  type PropertyValue,
  checkPropertyDefinitions,
  checkPropertyValues,
} from '@plantgraph/schema';
import { fail, invalidInput, invalidPropertyValue } from '../../core/failures.js';

/** A class's declared properties must be well-formed. */
export function requireValidDefinitions(defs: PropertyDefinition[]): void {
  const problem = checkPropertyDefinitions(defs);
  if (problem) fail(invalidInput(...problem));
}

/** A member's values must fit its class (`what` names the member kind, for the message). */
export function requireValuesFit(
  cls: { properties: PropertyDefinition[] } | null | undefined,
  values: PropertyValue[],
  what: string,
): void {
  if (!cls && values.length)
    fail(invalidPropertyValue(values[0]!.name, `the ${what} has no class; set one that declares this property.`));
  const problem = cls && checkPropertyValues(cls.properties, values);
  if (problem) fail(invalidPropertyValue(...problem));
}

/** Changing a class's declarations must not orphan the values its members already hold. */
export function requireMembersStillFit(
  defs: PropertyDefinition[],
  members: { key: string; properties: PropertyValue[] }[],
  what: string,
): void {
  for (const member of members) {
    const problem = checkPropertyValues(defs, member.properties);
    if (problem)
      fail(
        invalidInput(
          'properties',
          `${what} "${member.key}" would no longer fit the class: ${problem[1]} Update it first.`,
        ),
      );
  }
}
