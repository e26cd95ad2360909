const DAY = 86_400_000;

/** A person's current qualification as scheduling counts it (times in ms). */
export interface QualifiedPerson {
  employeeId: string;
  homePath: string | null;
  code: string;
  from: number;
  until: number | null;
}

/** A row of the shift roster (ADR 0048). */
export interface RosterEntry {
  scope: string;
  shift: string;
  employeeId: string;
  validFrom: string;
  validUntil: string | null;
  pattern: string | null;
}

/** A shift of a calendar as the working time names it: `YYYY-MM-DD Name` (the local date it starts). */
export interface ShiftSpan {
  name: string;
  from: number;
  to: number;
}

/** Whether the assignment has its person work shift `shift` on local date `date` (YYYY-MM-DD). */
export function rosteredOn(a: RosterEntry, shift: string, date: string): boolean {
  if (a.shift !== shift || date < a.validFrom || (a.validUntil !== null && date > a.validUntil)) return false;
  if (!a.pattern) return true;
  const day = Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${a.validFrom}T00:00:00Z`)) / DAY);
  return a.pattern[day % a.pattern.length] === 'W';
}

/**
 * How many people can work `shift` of the calendar at `scope` qualified for `code`: their
 * qualification current through the whole shift and, once the calendar has a roster (`roster` not
 * null), rostered on that shift that day; without one, everyone whose home is in the scope (or above
 * it) counts, as before rosters existed.
 */
export function operatorsOnShift(
  people: readonly QualifiedPerson[],
  roster: readonly RosterEntry[] | null,
  scope: string,
  shift: ShiftSpan,
  code: string,
): number {
  const space = shift.name.indexOf(' ');
  const date = shift.name.slice(0, space);
  const name = shift.name.slice(space + 1);
  const onShift = roster && new Set(roster.filter((a) => rosteredOn(a, name, date)).map((a) => a.employeeId));
  const inScope = (p: string | null) => !p || p === scope || p.startsWith(`${scope}/`) || scope.startsWith(`${p}/`);
  return new Set(
    people
      .filter(
        (p) =>
          p.code === code &&
          p.from <= shift.from &&
          (p.until === null || p.until > shift.to) &&
          (onShift ? onShift.has(p.employeeId) : inScope(p.homePath)),
      )
      .map((p) => p.employeeId),
  ).size;
}
