import { GraphQLError } from 'graphql';

/** A token bucket per principal on this hub replica: `rate` operations a second, bursts to `burst`. */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly rate: number, private readonly burst: number) {}

  /** Takes one token for `key`; returns an error to send when none is left. */
  take(key: string, now = Date.now()): GraphQLError | null {
    const bucket = this.#buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    this.#buckets.delete(key); // re-insert: the map stays ordered by last use
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > 10_000) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (bucket.tokens < 1) {
      const retryAfter = Math.ceil((1 - bucket.tokens) / this.rate);
      return new GraphQLError(`Rate limit reached: at most ${this.rate} operations per second (bursts of ${this.burst}) per caller. Retry in ${retryAfter} s.`, {
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter, http: { status: 429 } },
      });
    }
    bucket.tokens -= 1;
    return null;
  }
}
