// A JSON call to an external REST API with each failure classified for the connector runtime: 429 waits
// out Retry-After (no attempt used), 5xx and refused connections retry, a write whose answer is lost
// (timeout, reset) is ambiguous (the next attempt reads back by the key first), any other 4xx is final.
// For connectors of plain REST systems (a bearer key, JSON in and out).

import { ConnectorError } from './errors.js';

export interface RestRequest {
  /** The system's name for messages, e.g. `QMS`. */
  system: string;
  baseUrl: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query after the base URL, e.g. `/nonconformances?limit=10`. */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  /** Added to a 401/403's message: what to check in the settings. */
  authHint?: string;
}

/** The answer's JSON (an empty answer as `{}`), or a ConnectorError saying what the failure means. */
export async function restJson<T>(r: RestRequest): Promise<T> {
  const where = `${r.system} ${r.method} ${r.path.split('?')[0]}`;
  const headers: Record<string, string> = { accept: 'application/json', ...r.headers };
  if (r.body !== undefined) headers['content-type'] = 'application/json';
  let status: number;
  let text: string;
  let retryAfter: string | null;
  try {
    const res = await fetch(`${r.baseUrl.replace(/\/+$/, '')}${r.path}`, {
      method: r.method,
      headers,
      body: r.body === undefined ? undefined : JSON.stringify(r.body),
      signal: AbortSignal.timeout(r.timeoutMs),
    });
    status = res.status;
    retryAfter = res.headers.get('retry-after');
    text = await res.text();
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name ?? 'error';
    const neverSent = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(code);
    // A write that may have reached the system may have been applied there: reconcile before sending again.
    const kind = r.method !== 'GET' && !neverSent ? 'ambiguous' : 'retryable';
    throw new ConnectorError({ kind, message: `${where}: no answer (${code})`, cause: error });
  }
  if (status >= 200 && status < 300) return (text ? JSON.parse(text) : {}) as T;
  const said = wordsOf(text);
  const message = `${where}: ${status}${said ? ` ${said}` : ''}`;
  if (status === 429)
    throw new ConnectorError({
      kind: 'rate-limited',
      message,
      retryAfterMs: waitFor(retryAfter),
      externalMessage: said,
    });
  if (status >= 500) throw new ConnectorError({ kind: 'retryable', message, externalMessage: said });
  const hint = (status === 401 || status === 403) && r.authHint ? ` (${r.authHint})` : '';
  throw new ConnectorError({ kind: 'permanent', message: `${message}${hint}`, externalMessage: said });
}

/** The system's own words from an error body: `{message}`, `{errors: [{message}]}`, `{error}`, or the text. */
function wordsOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { errors?: { message?: string }[]; message?: string; error?: string };
    return body.errors?.map((e) => e.message).join('; ') || body.message || body.error || undefined;
  } catch {
    return text.slice(0, 200) || undefined;
  }
}

/** Retry-After in seconds or as an HTTP date; 1 s when absent or unreadable. */
function waitFor(header: string | null): number {
  if (!header) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 1000;
}
