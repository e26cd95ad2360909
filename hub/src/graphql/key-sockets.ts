import type { WebSocket } from 'ws';
import type { Principal } from '../core/principal.js';
import type { EventSource } from '../core/event-feed.js';

/** graphql-ws's Forbidden: the credential no longer admits the socket (a client must not just retry). */
export const KEY_REVOKED = 4403;

/**
 * The open WebSockets of each API key on this replica. A key's revocation is an event on the bus
 * (`ApiKeyRevoked`, published after the commit), so every replica hears it and closes its own
 * sockets of that key: nothing opened with a revoked key streams or runs another operation.
 */
export class KeySockets {
  readonly #byKey = new Map<string, Set<WebSocket>>();

  /** Registers a socket admitted with `principal`; only API keys are tracked (tokens expire on their own). */
  add(principal: Principal, socket: WebSocket): void {
    const keyId = principal.keyId;
    if (!keyId) return;
    const sockets = this.#byKey.get(keyId) ?? new Set();
    this.#byKey.set(keyId, sockets.add(socket));
    socket.once('close', () => {
      sockets.delete(socket);
      if (!sockets.size) this.#byKey.delete(keyId);
    });
  }

  /** Closes every socket of the key on this replica; returns how many. */
  close(keyId: string, reason: string): number {
    const sockets = [...(this.#byKey.get(keyId) ?? [])];
    for (const socket of sockets) socket.close(KEY_REVOKED, reason);
    return sockets.length;
  }

  /**
   * Follows changes of keys until stopped, across bus outages: a revocation the bus lost reaches this
   * replica from the outbox once the bus is back (`EventFeed`).
   */
  follow(events: EventSource, forget: (prefix: string) => void = () => {}): { stop(): void } {
    const subscription = events.subscribe([events.subjects.apiKeyChanges()], { survivesOutage: true });
    void (async () => {
      for await (const { data } of subscription) {
        const { type, id, key } = data as { type?: string; id?: string; key?: string };
        if (type !== 'ApiKeyRevoked' || typeof id !== 'string') continue;
        if (typeof key === 'string') forget(key); // this replica's verified-key cache, not only the revoker's
        const closed = this.close(id, 'API key revoked: reconnect with a valid credential');
        if (closed) console.warn(`[auth] closed ${closed} WebSocket(s) of a revoked API key`);
      }
    })().catch((err: Error) => console.error(`[auth] stopped following API key revocations: ${err.message}`));
    return { stop: () => subscription.close() };
  }
}
