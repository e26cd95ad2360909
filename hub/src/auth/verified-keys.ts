import { timingSafeEqual } from 'node:crypto';
import type { Principal } from '../core/principal.js';

/** A key this replica verified against the database. */
export interface VerifiedKey {
  keyId: string;
  principal: Principal;
  secretHash: string;
  verifiedAt: number;
  /** When this replica last wrote (or read) the key's `last_used_at`. */
  lastUseRecorded: number;
}

/** How long a verified secret is remembered to tell its holder from someone guessing. */
const REMEMBER_MS = 15 * 60_000;

/**
 * API keys this replica verified recently, by prefix. For `freshMs` after the database said yes
 * the key is trusted without asking again (so a revoked key works on another replica for at most
 * that long; on the replica that revoked it, it is forgotten at once). For longer, its secret hash
 * is remembered, so that while a key or an address is locked after failed attempts, the holder of
 * the right secret is still let through to the lookup. Bounded: least recently used go first.
 */
export class VerifiedKeys {
  readonly #entries = new Map<string, VerifiedKey>();

  constructor(
    private readonly freshMs: number,
    private readonly capacity = 10_000,
  ) {}

  /** The entry, when the secret matches and the database said yes less than `freshMs` ago. */
  fresh(prefix: string, secretHash: string, now = Date.now()): VerifiedKey | null {
    const entry = this.#matching(prefix, secretHash, now);
    if (!entry || now - entry.verifiedAt >= this.freshMs) return null;
    if (entry.principal.expiresAt && entry.principal.expiresAt.getTime() <= now) return null;
    return entry;
  }

  /** Whether this secret is the one this replica last verified for the prefix. */
  recognises(prefix: string, secretHash: string, now = Date.now()): boolean {
    return this.#matching(prefix, secretHash, now) !== null;
  }

  remember(prefix: string, entry: Omit<VerifiedKey, 'verifiedAt'>, now = Date.now()): VerifiedKey {
    const verified = { ...entry, verifiedAt: now };
    this.#entries.delete(prefix);
    this.#entries.set(prefix, verified);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return verified;
  }

  forget(prefix: string): void {
    this.#entries.delete(prefix);
  }

  clear(): void {
    this.#entries.clear();
  }

  #matching(prefix: string, secretHash: string, now: number): VerifiedKey | null {
    const entry = this.#entries.get(prefix);
    if (!entry) return null;
    if (now - entry.verifiedAt >= REMEMBER_MS) {
      this.#entries.delete(prefix);
      return null;
    }
    const same =
      entry.secretHash.length === secretHash.length &&
      timingSafeEqual(Buffer.from(entry.secretHash), Buffer.from(secretHash));
    return same ? entry : null;
  }
}
