import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import { AuthenticationError, AuthenticationThrottled, type Authenticator } from '../auth/authenticator.js';
import type { TokenBuckets } from '../auth/token-buckets.js';
import type { Principal } from '../core/principal.js';
import type { RateLimiter } from './rate-limit.js';
import type { Safelist } from './hardening.js';
import { clientAddress } from './http-server.js';

/** What every operation passes before it is parsed: who is calling, how often, and what. */
export class Gate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly rateLimiter: RateLimiter,
    private readonly safelist: Safelist | null,
    /** Rejected credentials per source address (see the README's limits). */
    private readonly addressFailures: TokenBuckets,
    private readonly trustedProxies: readonly string[] = [],
  ) {}

  /**
   * The caller; throws an `AuthenticationError` saying how to authenticate, or an
   * `AuthenticationThrottled` when the request's address presented too many rejected credentials
   * lately (then only API keys this replica verified recently are looked at, until it cools down).
   */
  admit(authorization: string | null | undefined, request: IncomingMessage): Promise<Principal> {
    return this.admitFrom(authorization, clientAddress(request, this.trustedProxies));
  }

  /** As `admit`, for a transport that knows the caller's address itself (the OPC UA face's sign-in). */
  async admitFrom(authorization: string | null | undefined, address: string): Promise<Principal> {
    const wait = this.addressFailures.waitFor(address);
    if (wait > 0 && !this.authenticator.recognises(authorization)) {
      const message = `Too many failed authentications from your address. Retry in ${wait} s, with a valid credential.`;
      throw new AuthenticationThrottled(message, wait);
    }
    try {
      return await this.authenticator.authenticate(authorization);
    } catch (err) {
      // Only credentials that were presented and checked count; a missing one costs nothing to refuse.
      const presented = /^\s*Bearer\s+\S/i.test(authorization ?? '');
      const checked = presented && err instanceof AuthenticationError && !(err instanceof AuthenticationThrottled);
      if (checked) this.addressFailures.charge(address);
      throw err;
    }
  }

  /** Seconds `address` must wait after too many rejected credentials (0: it may present one now). */
  waitFor(address: string): number {
    return this.addressFailures.waitFor(address);
  }

  /** Counts a credential from `address` rejected elsewhere (an OPC UA user certificate the hub does not trust). */
  rejected(address: string): void {
    this.addressFailures.charge(address);
  }

  /** An error when the caller is over its rate, else null. */
  limit(principal: Principal): GraphQLError | null {
    return this.rateLimiter.take(principal.name);
  }

  /** The document to run: the query itself, or the safelisted one; an error when not allowed. */
  document(query: unknown, extensions: unknown): string | GraphQLError {
    if (this.safelist) return this.safelist.resolve(query, extensions);
    return typeof query === 'string'
      ? query
      : new GraphQLError('Send the operation as a "query" string.', { extensions: { code: 'BAD_REQUEST' } });
  }

  get safelisted(): boolean {
    return this.safelist !== null;
  }
}
