// How a connector tells the runtime what a failure means. The runtime decides what to do: retry with
// backoff and jitter, wait out a rate limit without using an attempt, dead-letter, or reconcile.

export type FailureKind = 'retryable' | 'rate-limited' | 'permanent' | 'ambiguous';

export interface ConnectorErrorInit {
  kind: FailureKind;
  message: string;
  /** For `rate-limited`: how long the external system asked to wait. */
  retryAfterMs?: number;
  /** The external system's own words (e.g. SAP's message), shown as is in dead letters. */
  externalMessage?: string;
  cause?: unknown;
}

/**
 * - `retryable`: a transient failure (5xx, connection refused); retried with backoff.
 * - `rate-limited`: the system asked to slow down (429); the queue waits, no attempt is used.
 * - `permanent`: retrying cannot help (a business error); straight to dead letters.
 * - `ambiguous`: the request may have been applied (timeout after sending); the next attempt must
 *   reconcile (read back by the idempotency key) before sending again.
 */
export class ConnectorError extends Error {
  readonly kind: FailureKind;
  readonly retryAfterMs?: number;
  readonly externalMessage?: string;

  constructor(init: ConnectorErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ConnectorError';
    this.kind = init.kind;
    this.retryAfterMs = init.retryAfterMs;
    this.externalMessage = init.externalMessage;
  }
}

/** Anything thrown, as the runtime reads it: a ConnectorError's kind, else retryable. */
export function classifyError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectorError({ kind: 'retryable', message, cause: error });
}
