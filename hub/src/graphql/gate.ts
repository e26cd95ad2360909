import { GraphQLError } from 'graphql';
import type { Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../core/principal.js';
import type { RateLimiter } from './rate-limit.js';
import type { Safelist } from './hardening.js';

/** What every operation passes before it is parsed: who is calling, how often, and what. */
export class Gate {
  constructor(private readonly authenticator: Authenticator, private readonly rateLimiter: RateLimiter, private readonly safelist: Safelist | null) {}

  /** The caller; throws an `AuthenticationError` saying how to authenticate. */
  admit(authorization: string | null | undefined): Promise<Principal> {
    return this.authenticator.authenticate(authorization);
  }

  /** An error when the caller is over its rate, else null. */
  limit(principal: Principal): GraphQLError | null {
    return this.rateLimiter.take(principal.name);
  }

  /** The document to run: the query itself, or the safelisted one; an error when not allowed. */
  document(query: unknown, extensions: unknown): string | GraphQLError {
    if (this.safelist) return this.safelist.resolve(query, extensions);
    return typeof query === 'string' ? query : new GraphQLError('Send the operation as a "query" string.', { extensions: { code: 'BAD_REQUEST' } });
  }

  get safelisted(): boolean {
    return this.safelist !== null;
  }
}
