export interface IngestBackoffOptions {
  /** The first pause; each further failure doubles it. */
  firstPauseMs?: number;
  /** The longest pause, however long the outage lasts. */
  maxPauseMs?: number;
  /** For tests: the source of the jitter, a number in [0, 1). */
  random?: () => number;
}

/** Errors that say the database cannot be reached (as opposed to refusing the statement). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const UNREACHABLE_MESSAGE = /connection terminated|terminating connection|server closed the connection|timeout/i;

function unreachable(err: Error & { code?: unknown }): boolean {
  const code = typeof err.code === 'string' ? err.code : '';
  // SQLSTATE class 08 (connection exception) and 57P01-57P03 (shutdown, crash, not yet accepting).
  return UNREACHABLE_CODES.has(code) || /^08|^57P0[1-3]$/.test(code) || UNREACHABLE_MESSAGE.test(err.message);
}

/**
 * How the ingest waits out a store it cannot write to (the database is down or restarting):
 * exponential pauses with jitter, capped, so replicas do not retry in step and an outage costs a
 * handful of attempts instead of hundreds; and one log line when the ingest pauses and one when it
 * resumes, not one per failed batch.
 */
export class IngestBackoff {
  readonly #firstPauseMs: number;
  readonly #maxPauseMs: number;
  readonly #random: () => number;
  #failures = 0;
  #pausedAt = 0;

  constructor(
    private readonly log: Pick<Console, 'error' | 'warn'>,
    options: IngestBackoffOptions = {},
  ) {
    this.#firstPauseMs = options.firstPauseMs ?? 250;
    this.#maxPauseMs = options.maxPauseMs ?? 15_000;
    this.#random = options.random ?? Math.random;
  }

  /** A batch could not be stored: how long the ingest pauses before it tries again. */
  failed(err: Error): number {
    if (this.#failures === 0) {
      this.#pausedAt = Date.now();
      const what = unreachable(err) ? 'database unreachable' : 'storing signals failed';
      this.log.error(
        `[ingest] ${what} (${err.message}); ingest paused, retrying with growing pauses of up to ` +
          `${this.#maxPauseMs / 1000} s. Signals wait on the bus meanwhile.`,
      );
    }
    const ceiling = Math.min(this.#maxPauseMs, this.#firstPauseMs * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    // "Equal jitter": at least half the ceiling, so the pauses still grow.
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  /** A batch was stored: ends a pause, if there was one, with one line saying how long it lasted. */
  succeeded(): void {
    if (!this.#failures) return;
    const seconds = ((Date.now() - this.#pausedAt) / 1000).toFixed(1);
    this.log.warn(`[ingest] ingest resumed after ${seconds} s (${this.#failures} failed attempts)`);
    this.#failures = 0;
  }
}
