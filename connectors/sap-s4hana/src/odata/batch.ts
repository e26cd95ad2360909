// OData V2 $batch: a multipart/mixed body of queries and changesets (each changeset a nested
// multipart/mixed, applied atomically). Gateway answers 202 with one part per query and, per changeset,
// either a nested multipart of the results or a single error part: a changeset can fail inside a
// successful batch, so every part is read and reported on its own.

import { randomUUID } from 'node:crypto';
import { errorFromResponse, SapError } from './errors.js';

export interface BatchOperation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'MERGE' | 'DELETE';
  /** Relative to the service root, e.g. "ProdnOrdConf2" or "A_ProductionOrder_2('1000001')". */
  url: string;
  headers?: Record<string, string>;
  /** Serialized as JSON. */
  body?: unknown;
}

/** A single operation is a query (reads only); an array is one changeset. */
export type BatchItem = BatchOperation | BatchOperation[];

export interface BatchPartResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type BatchItemResult =
  | { kind: 'query'; ok: true; response: BatchPartResponse }
  | { kind: 'query'; ok: false; response: BatchPartResponse; error: SapError }
  | { kind: 'changeset'; ok: true; responses: BatchPartResponse[] }
  | { kind: 'changeset'; ok: false; response: BatchPartResponse; error: SapError };

const CRLF = '\r\n';

export function buildBatchBody(
  items: BatchItem[],
  boundary = `batch_${randomUUID()}`,
): { body: string; contentType: string } {
  const lines: string[] = [];
  for (const item of items) {
    lines.push(`--${boundary}`);
    if (Array.isArray(item)) {
      const changeset = `changeset_${randomUUID()}`;
      lines.push(`Content-Type: multipart/mixed; boundary=${changeset}`, '');
      item.forEach((operation, index) => {
        lines.push(`--${changeset}`, ...httpPart(operation, String(index + 1)));
      });
      lines.push(`--${changeset}--`, '');
    } else {
      if (item.method !== 'GET') throw new TypeError(`a ${item.method} must be inside a changeset`);
      lines.push(...httpPart(item));
    }
  }
  lines.push(`--${boundary}--`, '');
  return { body: lines.join(CRLF), contentType: `multipart/mixed; boundary=${boundary}` };
}

function httpPart(operation: BatchOperation, contentId?: string): string[] {
  const lines = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary'];
  if (contentId) lines.push(`Content-ID: ${contentId}`);
  lines.push('', `${operation.method} ${operation.url} HTTP/1.1`);
  const headers: Record<string, string> = { Accept: 'application/json', ...operation.headers };
  const body = operation.body === undefined ? undefined : JSON.stringify(operation.body);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push('', body ?? '');
  return lines;
}

/** The boundary parameter of a multipart Content-Type. */
export function boundaryOf(contentType: string): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** Splits a multipart body into its parts' raw text (headers, blank line, content). */
export function splitMultipart(body: string, boundary: string): string[] {
  const lines = body.split(/\r?\n/);
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    const trimmed = line.trimEnd();
    const closing = trimmed === `--${boundary}--`;
    if (closing || trimmed === `--${boundary}`) {
      if (current) parts.push(current.join(CRLF));
      if (closing) break;
      current = [];
      continue;
    }
    current?.push(line);
  }
  return parts;
}

/** Headers (lower-cased names) and the rest, split at the first blank line. */
export function splitHeaders(text: string): { headers: Record<string, string>; rest: string } {
  const lines = text.split(/\r?\n/);
  const headers: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length && lines[i].trim() !== ''; i++) {
    const colon = lines[i].indexOf(':');
    if (colon > 0) headers[lines[i].slice(0, colon).trim().toLowerCase()] = lines[i].slice(colon + 1).trim();
  }
  return { headers, rest: lines.slice(i + 1).join(CRLF) };
}

/** An embedded "HTTP/1.1 201 Created" response. */
function parseHttpResponse(text: string): BatchPartResponse {
  const newline = text.search(/\r?\n/);
  const statusLine = newline < 0 ? text : text.slice(0, newline);
  const match = /^HTTP\/\d\.\d\s+(\d{3})/.exec(statusLine.trim());
  if (!match)
    throw new SapError({ kind: 'retryable', message: `unreadable $batch part: "${statusLine.slice(0, 80)}"` });
  const { headers, rest } = splitHeaders(newline < 0 ? '' : text.slice(newline).replace(/^\r?\n/, ''));
  return { status: Number(match[1]), headers, body: rest.replace(/(\r?\n)+$/, '') };
}

/**
 * Reads a $batch response against the items that were sent. Throws (ambiguous when the batch changed
 * anything) if the parts cannot be matched to the items, since then nobody knows what was applied.
 */
export function parseBatchResponse(items: BatchItem[], contentType: string, body: string): BatchItemResult[] {
  const hasChanges = items.some(Array.isArray);
  const unreadable = (why: string) =>
    new SapError({
      kind: hasChanges ? 'ambiguous' : 'retryable',
      message: `$batch response: ${why}`,
      requestSent: true,
    });
  const boundary = boundaryOf(contentType);
  if (!boundary) throw unreadable(`no multipart boundary in "${contentType}"`);
  const parts = splitMultipart(body, boundary);
  if (parts.length !== items.length) throw unreadable(`${parts.length} parts for ${items.length} requests`);
  return items.map((item, index): BatchItemResult => {
    const { headers, rest } = splitHeaders(parts[index]);
    const partType = headers['content-type'] ?? '';
    const label = Array.isArray(item) ? `changeset ${index + 1}` : `${item.method} ${item.url}`;
    if (partType.startsWith('multipart/mixed')) {
      if (!Array.isArray(item)) throw unreadable(`a changeset answered the query ${label}`);
      const inner = boundaryOf(partType);
      if (!inner) throw unreadable(`no boundary in ${label}`);
      const responses = splitMultipart(rest, inner).map((p) => parseHttpResponse(splitHeaders(p).rest));
      const failed = responses.find((r) => r.status >= 400);
      if (failed) return { kind: 'changeset', ok: false, response: failed, error: partError('POST', label, failed) };
      return { kind: 'changeset', ok: true, responses };
    }
    const response = parseHttpResponse(rest);
    const ok = response.status < 400;
    if (Array.isArray(item)) {
      // A failed changeset is answered by one error part for the whole changeset.
      if (ok) throw unreadable(`${label} answered by a single ${response.status} part`);
      return { kind: 'changeset', ok: false, response, error: partError(item[0]?.method ?? 'POST', label, response) };
    }
    return ok
      ? { kind: 'query', ok: true, response }
      : { kind: 'query', ok: false, response, error: partError(item.method, label, response) };
  });
}

function partError(method: string, label: string, response: BatchPartResponse): SapError {
  return errorFromResponse(method, `$batch ${label}`, response.status, response.headers, response.body);
}
