// SAP's error bodies and how a failure is classified for the connector runtime.
//
// Gateway answers errors as {"error":{"code","message":{"lang","value"},"innererror":{...,"errordetails":[...]}}}
// in JSON, as <error><code/><message/></error> in XML, and as plain text or HTML from the ICF layer (CSRF,
// logon). The runtime needs one of four answers: retry with backoff, wait (rate limited), give up with SAP's
// message (dead letter), or reconcile first because the request may have been applied (ambiguous).

export type FailureKind = 'retryable' | 'rate-limited' | 'permanent' | 'ambiguous';

export interface SapErrorDetail {
  code: string;
  message: string;
  severity?: string;
  target?: string;
}

export interface SapErrorInit {
  kind: FailureKind;
  message: string;
  status?: number;
  sapCode?: string;
  sapMessage?: string;
  details?: SapErrorDetail[];
  retryAfterMs?: number;
  /** Whether the request may have reached SAP and been applied. */
  requestSent?: boolean;
  cause?: unknown;
}

/** Every failure of the transport and the operations is a SapError with its classification. */
export class SapError extends Error {
  readonly kind: FailureKind;
  readonly status?: number;
  /** SAP's message code, e.g. "RU/155" or "/IWBEP/CM_MGW_RT/020". */
  readonly sapCode?: string;
  /** SAP's own message text, shown to the integration engineer as is. */
  readonly sapMessage?: string;
  readonly details: SapErrorDetail[];
  readonly retryAfterMs?: number;
  readonly requestSent: boolean;

  constructor(init: SapErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'SapError';
    this.kind = init.kind;
    this.status = init.status;
    this.sapCode = init.sapCode;
    this.sapMessage = init.sapMessage;
    this.details = init.details ?? [];
    this.retryAfterMs = init.retryAfterMs;
    this.requestSent = init.requestSent ?? false;
  }
}

export interface ParsedSapError {
  code?: string;
  message?: string;
  details: SapErrorDetail[];
}

/** Reads SAP's error body in whichever form it came; never throws. */
export function parseSapErrorBody(body: string, contentType = ''): ParsedSapError {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      return fromJson(JSON.parse(text) as unknown);
    } catch {
      return { message: text.slice(0, 500), details: [] };
    }
  }
  if (text.startsWith('<') && /<error[\s>]/.test(text)) {
    const code = /<code>([^<]*)<\/code>/.exec(text)?.[1];
    const message = /<message[^>]*>([^<]*)<\/message>/.exec(text)?.[1];
    return { code, message: message === undefined ? undefined : unescapeXml(message), details: [] };
  }
  if (text === '') return { details: [] };
  // HTML error pages (ICF logon, proxies): the title is the useful part.
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
  const plain = contentType.includes('html') ? (title ?? 'HTML error page') : text;
  return { message: plain.slice(0, 500), details: [] };
}

function fromJson(json: unknown): ParsedSapError {
  const error = (json as { error?: Record<string, unknown> } | null)?.error;
  if (!error || typeof error !== 'object') return { message: JSON.stringify(json).slice(0, 500), details: [] };
  const message = error.message as { value?: unknown } | string | undefined;
  const inner = error.innererror as { errordetails?: unknown } | undefined;
  const rawDetails = Array.isArray(inner?.errordetails) ? (inner.errordetails as Record<string, unknown>[]) : [];
  return {
    code: typeof error.code === 'string' ? error.code : undefined,
    message: typeof message === 'string' ? message : typeof message?.value === 'string' ? message.value : undefined,
    details: rawDetails.map((d) => ({
      code: String(d.code ?? ''),
      message: String(d.message ?? ''),
      severity: typeof d.severity === 'string' ? d.severity : undefined,
      target: typeof d.target === 'string' && d.target !== '' ? d.target : undefined,
    })),
  };
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Retry-After is seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The classification of an HTTP answer that is not a success.
 * 502 and 504 come from a proxy or the ICM in front of the ABAP stack while SAP may still commit, so for a
 * modifying request they are ambiguous; a 500 or 503 from Gateway itself means the work was rolled back.
 */
export function classifyStatus(status: number, method: string): FailureKind {
  if (status === 429) return 'rate-limited';
  if (status === 408) return 'retryable';
  if ((status === 502 || status === 504) && !SAFE_METHODS.has(method.toUpperCase())) return 'ambiguous';
  if (status >= 500) return 'retryable';
  return 'permanent';
}

/** Builds the SapError for an HTTP answer, with SAP's message when the body carries one. */
export function errorFromResponse(
  method: string,
  url: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): SapError {
  const contentType = String(headers['content-type'] ?? '');
  const parsed = parseSapErrorBody(body, contentType);
  const kind = classifyStatus(status, method);
  const retryAfterHeader = headers['retry-after'];
  const retryAfterMs = parseRetryAfter(Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader);
  const sapText = parsed.message ? `: ${parsed.message}` : '';
  const codeText = parsed.code ? ` [${parsed.code}]` : '';
  return new SapError({
    kind,
    status,
    message: `SAP answered ${status} to ${method} ${url}${codeText}${sapText}`,
    sapCode: parsed.code,
    sapMessage: parsed.message,
    details: parsed.details,
    retryAfterMs,
    requestSent: true,
  });
}

/** The classification of any thrown value, for a runtime that catches more than SapErrors. */
export function classifyFailure(error: unknown): { kind: FailureKind; message: string; retryAfterMs?: number } {
  if (error instanceof SapError) return { kind: error.kind, message: error.message, retryAfterMs: error.retryAfterMs };
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'retryable', message };
}
