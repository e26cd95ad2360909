/**
 * Token buckets by key, in this process only: `rate` tokens a second, holding at most `burst`.
 * The least recently used buckets are forgotten beyond `capacity` keys, so an attacker who varies
 * the key (addresses, key prefixes, names) cannot grow the hub's memory; a forgotten bucket is a
 * full one again, which errs on the caller's side.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly capacity = 10_000,
  ) {}

  /** Seconds until `key` has a token again, or 0 when it has one now. Takes nothing. */
  waitFor(key: string, now = Date.now()): number {
    const tokens = this.#refill(key, now).tokens;
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.rate));
  }

  /** Takes a token for `key` when there is one; returns the seconds to wait otherwise (0: taken). */
  take(key: string, now = Date.now()): number {
    const wait = this.waitFor(key, now);
    if (wait === 0) this.#buckets.get(key)!.tokens -= 1;
    return wait;
  }

  /**
   * Takes a token, into debt if need be: failures that ran concurrently all count (down to one
   * burst below empty, so the wait stays bounded).
   */
  charge(key: string, now = Date.now()): void {
    const bucket = this.#refill(key, now);
    bucket.tokens = Math.max(-this.burst, bucket.tokens - 1);
  }

  #refill(key: string, now: number) {
    const bucket = this.#buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    this.#buckets.delete(key); // re-insert: the map stays ordered by last use
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.capacity) this.#buckets.delete(this.#buckets.keys().next().value!);
    return bucket;
  }
}
