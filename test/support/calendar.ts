// Dates for tests that must keep working whatever day they run on: relative to now, in the plant's own
// time where shifts matter, never fixed calendar dates (which expire with the demo's qualifications,
// or fall into the past).

const DAY = 86_400_000;

/** `zone`'s offset from UTC at the instant `t` (ms; +3 600 000 for Berlin in winter). */
function offsetAt(zone: string, t: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(t));
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return wall - Math.floor(t / 1000) * 1000;
}

/** The instant (ISO) of the wall-clock time `hhmm` on the local `date` (YYYY-MM-DD) in `zone`. */
export function zonedTime(zone: string, date: string, hhmm: string): string {
  const wall = Date.parse(`${date}T${hhmm}:00.000Z`);
  const guess = wall - offsetAt(zone, wall);
  return new Date(wall - offsetAt(zone, guess)).toISOString();
}

/** The local date (YYYY-MM-DD) in `zone` of the instant `t`. */
export function localDate(zone: string, t: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date(t));
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
