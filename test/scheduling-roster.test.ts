import { describe, expect, it } from 'vitest';
import { operatorsOnShift, type RosterEntry, rosteredOn } from '@plantgraph/hub';

const crew = (employeeId: string, pattern: string | null, validUntil: string | null = null): RosterEntry => ({
  scope: 'acme/berlin',
  shift: 'Night',
  employeeId,
  validFrom: '2027-03-01',
  validUntil,
  pattern,
});
const shift = (date: string) => ({
  name: `${date} Night`,
  from: Date.parse(`${date}T21:00:00Z`),
  to: Date.parse(`${date}T05:00:00Z`) + 86_400_000,
});
const qualified = (employeeId: string, until: string | null = null) => ({
  employeeId,
  homePath: 'acme/elsewhere',
  code: 'spot-welding',
  from: Date.parse('2027-01-01T00:00:00Z'),
  until: until ? Date.parse(until) : null,
});

/** The shift roster's arithmetic (ADR 0048): dates, crew patterns, and who counts once a roster exists. */
describe('shift roster', () => {
  it('repeats a crew pattern from its first day, within its dates and on its shift only', () => {
    const a = crew('E1', 'WWWW----');
    const days = Array.from({ length: 10 }, (_, n) => `2027-03-${String(1 + n).padStart(2, '0')}`);
    expect(days.map((d) => (rosteredOn(a, 'Night', d) ? 'W' : '-')).join('')).toBe('WWWW----WW');
    expect(rosteredOn(a, 'Night', '2027-02-28')).toBe(false);
    expect(rosteredOn(a, 'Early', '2027-03-01')).toBe(false);
    expect(rosteredOn(crew('E1', null, '2027-03-02'), 'Night', '2027-03-03')).toBe(false);
    // Across a month end and a DST change the count stays in days: 2027-03-29 is day 28, a 4-on-4-off W.
    expect(rosteredOn(a, 'Night', '2027-03-29')).toBe(false);
    expect(rosteredOn(a, 'Night', '2027-04-02')).toBe(true);
  });

  it('counts rostered people with a qualification current through the shift; without a roster, the home scope', () => {
    const people = [qualified('E1'), qualified('E2', '2027-03-02T01:00:00Z'), qualified('E3')];
    const roster = [crew('E1', null), crew('E2', null)];
    // E3 is qualified but not rostered; E2's qualification lapses during the night of 1 March.
    expect(operatorsOnShift(people, roster, 'acme/berlin', shift('2027-03-01'), 'spot-welding')).toBe(1);
    expect(operatorsOnShift(people, roster, 'acme/berlin', shift('2027-03-01'), 'packing')).toBe(0);
    // No roster: people whose home lies elsewhere do not count, as before rosters.
    expect(operatorsOnShift(people, null, 'acme/berlin', shift('2027-03-01'), 'spot-welding')).toBe(0);
    expect(operatorsOnShift(people, null, 'acme', shift('2027-03-01'), 'spot-welding')).toBe(2);
  });
});
