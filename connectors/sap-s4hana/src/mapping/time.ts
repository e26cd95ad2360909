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
  // The zone's offset at a guess, then at the corrected guess (they differ across a DST change).
  let guess = asUtc - offsetAt(new Date(asUtc), timeZone);
  guess = asUtc - offsetAt(new Date(guess), timeZone);
  return new Date(guess);
}

function offsetAt(instant: Date, timeZone: string): number {
  return Date.parse(`${toLocal(instant, timeZone)}Z`) - Math.floor(instant.getTime() / 1000) * 1000;
}
