// Dates for tests that must keep working whatever day they run on: relative to now, in the plant's own
// time where shifts matter, never fixed calendar dates (which expire with the demo's qualifications,
// or fall into the past). Local times convert as the SAP connector converts SAP's plant-local ones.
import { fromLocal, toLocal } from '@plantgraph/connector-sap-s4hana';

const DAY = 86_400_000;

/** The instant (ISO) of the wall-clock time `hhmm` on the local `date` (YYYY-MM-DD) in `zone`. */
export function zonedTime(zone: string, date: string, hhmm: string): string {
  return fromLocal(`${date}T${hhmm}:00`, zone).toISOString();
}

/** The local date (YYYY-MM-DD) in `zone` of the instant `t`. */
export function localDate(zone: string, t: number): string {
  return toLocal(new Date(t), zone).slice(0, 10);
}

/** `date` (YYYY-MM-DD) moved by `days` calendar days. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** The local date in `zone` of the first Monday at least `days` days from now. */
export function mondayAhead(zone: string, days: number): string {
  const from = localDate(zone, Date.now() + days * DAY);
  const weekday = new Date(`${from}T00:00:00Z`).getUTCDay(); // 0 Sunday … 6 Saturday
  return addDays(from, (8 - weekday) % 7);
}

/** UTC midnight `days` days from now (ms). */
export function utcMidnightAhead(days: number): number {
  const t = Date.now() + days * DAY;
  return t - (t % DAY);
}
