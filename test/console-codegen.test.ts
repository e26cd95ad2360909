import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkedDocuments, operations } from '../console/codegen.mjs';

const schema = readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8');

/**
 * Issue 21: the console's operations are typed from schema/schema.graphql at build time
 * (console/codegen.mjs, run by console/build.mjs before tsc). A field the console reads that the
 * schema loses or renames stops the build, saying where; a changed type fails tsc on the types.
 */
describe("the console's typed operations", () => {
  it('finds every operation the console sends as static text, valid against the schema', () => {
    const found = operations();
    expect(found.length).toBeGreaterThanOrEqual(26);
    const names = found.map(({ text }) => /^(query|mutation|subscription) (\w+)/.exec(text.trim())?.[2]);
    expect(names).not.toContain(undefined); // each named: its generated type is named after it
    expect(names).toContain('Schedule');
    expect(checkedDocuments(schema)).toHaveLength(found.length);
  });

  it('stops the build at a field the schema no longer has, naming the file and line', () => {
    const renamed = schema.replace('  readiness: DispatchReadiness!', '  readyness: DispatchReadiness!');
    expect(renamed).not.toBe(schema);
    expect(() => checkedDocuments(renamed)).toThrow(
      /^console\/src\/schedule\.tsx:\d+: Cannot query field "readiness" on type "ScheduleSlot"/,
    );
  });
});
