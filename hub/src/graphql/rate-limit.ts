import { GraphQLError } from 'graphql';
import { TokenBuckets } from '../auth/token-buckets.js';

/**
 * A token bucket per principal on this hub replica: `rate` operations a second, bursts to `burst`.
 * Each replica counts on its own, so N replicas behind a load balancer allow up to N times the rate.
 */
export class RateLimiter {
  readonly #buckets: TokenBuckets;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.#buckets = new TokenBuckets(rate, burst);
  }

  /** Takes one token for `key`; returns an error to send when none is left. */
  take(key: string, now = Date.now()): GraphQLError | null {
    const retryAfter = this.#buckets.take(key, now);
    if (retryAfter === 0) return null;
    const message =
      `Rate limit reached: at most ${this.rate} operations per second (bursts of ${this.burst}) ` +
      `per caller. Retry in ${retryAfter} s.`;
    return tooMany(message, retryAfter);
  }
}

/** A 429 with the seconds to wait (sent as `retry-after` over HTTP). */
export function tooMany(message: string, retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds, http: { status: 429 } } });
}
