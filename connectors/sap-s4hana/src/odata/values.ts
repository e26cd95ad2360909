// OData V2 value formats as SAP Gateway writes and reads them in JSON (verbose format, "d" wrapper):
// Edm.DateTime as "/Date(ms)/", Edm.DateTimeOffset as "/Date(ms+0000)/", Edm.Time as "PT12H30M00S",
// Edm.Decimal as a string (JSON numbers lose precision), and typed literals in $filter and key predicates.

const DATE_PATTERN = /^\/Date\((-?\d+)(?:([+-])(\d{4}))?\)\/$/;

/** Parses "/Date(ms)/" or "/Date(ms+hhmm)/"; the milliseconds are UTC either way. */
export function parseODataDate(value: unknown): Date | null {
  if (typeof value !== 'string' || value === '') return null;
  const match = DATE_PATTERN.exec(value);
  if (!match) {
    const parsed = new Date(value);
    return Number.isNaN(parsed.getTime()) ? null : parsed;
  }
  return new Date(Number(match[1]));
}

/** Edm.DateTime in JSON: SAP stores dates without a zone, so a date is its UTC midnight. */
export function formatODataDate(date: Date): string {
  return `/Date(${date.getTime()})/`;
}

/** Edm.DateTimeOffset in JSON, as Gateway writes it (always UTC). */
export function formatODataDateTimeOffset(date: Date): string {
  return `/Date(${date.getTime()}+0000)/`;
}

const TIME_PATTERN = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/;

/** Edm.Time ("PT15H51M04S") as milliseconds since midnight. */
export function parseODataTime(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null;
  const match = TIME_PATTERN.exec(value);
  if (!match) return null;
  const [, h = '0', m = '0', s = '0'] = match;
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000;
}

export function formatODataTime(msSinceMidnight: number): string {
  const total = Math.floor(msSinceMidnight / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `PT${pad(Math.floor(total / 3600))}H${pad(Math.floor(total / 60) % 60)}M${pad(total % 60)}S`;
}

/** Edm.Decimal from JSON (a string, sometimes a number from lenient servers). */
export function parseDecimal(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  return 0;
}

/** Edm.Decimal to JSON: a plain string, no exponent, at most `scale` decimals, trailing zeros dropped. */
export function formatDecimal(value: number, scale = 3): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const fixed = value.toFixed(scale);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** A string literal for $filter or a key predicate: single quotes doubled, then URI-encoded by the caller. */
export function stringLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function guidLiteral(value: string): string {
  return `guid'${value}'`;
}

/** Edm.DateTimeOffset literal; Gateway accepts ISO 8601 with a Z. */
export function dateTimeOffsetLiteral(date: Date): string {
  return `datetimeoffset'${date.toISOString()}'`;
}

/** Edm.DateTime literal (no zone): "datetime'2024-05-01T00:00:00'". */
export function dateTimeLiteral(date: Date): string {
  return `datetime'${date.toISOString().slice(0, 19)}'`;
}

/**
 * Encodes a query value the way Gateway expects: spaces as %20 (not "+"), quotes kept readable.
 * URLSearchParams would write "+" for spaces, which some Gateway versions take literally.
 */
export function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/%27/g, "'").replace(/%2C/g, ',').replace(/%24/g, '$');
}

export function buildQuery(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${encodeQueryValue(String(value))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}
