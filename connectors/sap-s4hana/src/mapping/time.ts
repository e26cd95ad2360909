// SAP stores dates and times without a zone, in the plant's local time; the hub stores instants.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time of an instant in a zone, as "YYYY-MM-DDTHH:mm:ss". */
export function toLocal(instant: Date, timeZone = 'UTC'): string {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

/** The instant of a plant-local "YYYY-MM-DDTHH:mm:ss" (in a DST gap, the time after it). */
export function fromLocal(local: string, timeZone = 'UTC'): Date {
  const asUtc = Date.parse(`${local}Z`);
  if (Number.isNaN(asUtc)) throw new RangeError(`not a local date-time: "${local}"`);
  if (timeZone === 'UTC') return new Date(asUtc);
  // Offsets change on the hour at most: one Intl round trip per zone and local hour (an import of many
  // orders with many operations converts the same few hours over and over).
  const key = `${timeZone}|${local.slice(0, 13)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    // The zone's offset at a guess, then at the corrected guess (they differ across a DST change).
    const hour = Date.parse(`${local.slice(0, 13)}:00:00Z`);
    offset = offsetAt(new Date(hour - offsetAt(new Date(hour), timeZone)), timeZone);
    if (offsets.size > 10_000) offsets.clear();
    offsets.set(key, offset);
  }
  return new Date(asUtc - offset);
}

const offsets = new Map<string, number>();

function offsetAt(instant: Date, timeZone: string): number {
  return Date.parse(`${toLocal(instant, timeZone)}Z`) - Math.floor(instant.getTime() / 1000) * 1000;
}
