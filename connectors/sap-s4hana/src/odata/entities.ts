// Reading entities out of Gateway's JSON: the "d" wrapper, "results" arrays, expanded navigation
// properties (an object with "results", or "__deferred" when not expanded) and the ETag.

export type ODataRecord = Record<string, unknown> & { __metadata?: { uri?: string; type?: string; etag?: string } };

/** The entity of a single-entity answer: {"d": {...}}. */
export function entityOf(json: unknown): ODataRecord {
  const d = (json as { d?: unknown } | null)?.d;
  if (!d || typeof d !== 'object' || Array.isArray(d))
    throw new TypeError('not an OData V2 entity answer ("d" missing)');
  return d as ODataRecord;
}

/** The entities of a collection answer: {"d": {"results": [...], "__next"?, "__count"?}}. */
export function collectionOf(json: unknown): { results: ODataRecord[]; next?: string; count?: number } {
  const d = (json as { d?: unknown } | null)?.d;
  // Some Gateway versions answer a collection as a bare array in "d".
  if (Array.isArray(d)) return { results: d as ODataRecord[] };
  const results = (d as { results?: unknown } | undefined)?.results;
  if (!Array.isArray(results)) throw new TypeError('not an OData V2 collection answer ("d.results" missing)');
  const { __next: next, __count: count } = d as { __next?: string; __count?: string };
  return { results: results as ODataRecord[], next, count: count === undefined ? undefined : Number(count) };
}

/** An expanded to-many navigation property; empty when it was not expanded. */
export function expanded(record: ODataRecord, navigation: string): ODataRecord[] {
  const value = record[navigation];
  if (Array.isArray(value)) return value as ODataRecord[];
  const results = (value as { results?: unknown } | undefined)?.results;
  return Array.isArray(results) ? (results as ODataRecord[]) : [];
}

export function str(record: ODataRecord, name: string): string {
  const value = record[name];
  return value === null || value === undefined ? '' : String(value);
}

/** SAP flags come as booleans or as "X" / "" (ABAP char1). */
export function flag(record: ODataRecord, name: string): boolean {
  const value = record[name];
  return value === true || value === 'X' || value === 'x';
}

export function etagOf(record: ODataRecord, header?: string | string[]): string | undefined {
  const fromHeader = Array.isArray(header) ? header[0] : header;
  return fromHeader ?? record.__metadata?.etag;
}
