import type { ShiftCalendar } from '@plantgraph/schema';
import type { Interval, ShiftWindow } from './oee-calculation.js';

/** One formatter per zone: making one costs far more than using it (the scheduler walks weeks of shifts). */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

const DAY_MS = 86_400_000;
/** Per zone and UTC day: its offset when the day has one throughout, else null (a DST change that day). */
const dayOffsets = new Map<string, number | null>();

/**
 * Minutes the zone is ahead of UTC at `instant`. A day whose start and end have the same offset has
 * it throughout (zones change at most once a day), so most calls are a lookup instead of formatting
 * the instant: the scheduler walks weeks of shifts of every calendar on each change.
 */
function zoneOffsetMinutes(instant: Date, timeZone: string): number {
  const day = Math.floor(instant.getTime() / DAY_MS);
  const key = `${timeZone} ${day}`;
  let offset = dayOffsets.get(key);
  if (offset === undefined) {
    const start = formattedOffset(new Date(day * DAY_MS), timeZone);
    offset = start === formattedOffset(new Date((day + 1) * DAY_MS), timeZone) ? start : null;
    if (dayOffsets.size > 100_000) dayOffsets.clear();
    dayOffsets.set(key, offset);
  }
  return offset ?? formattedOffset(instant, timeZone);
}

function formattedOffset(instant: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    formatterOf(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return Math.round((asUtc - instant.getTime()) / 60_000);
}

/** The instant a local wall-clock time (date at 00:00 UTC + HH:MM) happens in `timeZone`. */
function zonedInstant(localDay: Date, hhmm: string, timeZone: string): Date {
  const [h, m] = hhmm.split(':').map(Number);
  const wall = localDay.getTime() + (h! * 60 + m!) * 60_000;
  let instant = wall - zoneOffsetMinutes(new Date(wall), timeZone) * 60_000;
  instant = wall - zoneOffsetMinutes(new Date(instant), timeZone) * 60_000; // again, across a DST change
  return new Date(instant);
}

export interface NamedShiftWindow extends ShiftWindow {
  name: string;
  label: string;
}

/** Every shift of the calendar that overlaps `window`, with its breaks, as instants. */
export function shiftWindows(
  calendar: Pick<ShiftCalendar, 'timeZone' | 'shifts'>,
  window: Interval,
): NamedShiftWindow[] {
  const dayMs = 86_400_000;
  const first = Math.floor(window.from.getTime() / dayMs) * dayMs - dayMs;
  const result: NamedShiftWindow[] = [];
  for (let day = first; day <= window.to.getTime() + dayMs; day += dayMs) {
    const localDay = new Date(day);
    for (const shift of calendar.shifts) {
      const from = zonedInstant(localDay, shift.start, calendar.timeZone);
      const endsNextDay = shift.end <= shift.start;
      const to = zonedInstant(new Date(day + (endsNextDay ? dayMs : 0)), shift.end, calendar.timeZone);
      if (to <= window.from || from >= window.to) continue;
      const breaks = shift.breaks.map((b) => {
        const next = endsNextDay && b.start < shift.start ? dayMs : 0;
        return {
          from: zonedInstant(new Date(day + next), b.start, calendar.timeZone),
          to: zonedInstant(new Date(day + next + (b.end <= b.start ? dayMs : 0)), b.end, calendar.timeZone),
        };
      });
      result.push({
        from,
        to,
        breaks,
        name: shift.name,
        label: `${localDay.toISOString().slice(0, 10)} ${shift.name}`,
      });
    }
  }
  return result.sort((a, b) => a.from.getTime() - b.from.getTime());
}
