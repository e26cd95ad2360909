import type { Database, Tx } from '../infrastructure/database/database.js';
import type { Services } from '../services.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { Principal } from '../core/principal.js';
import type { QueueOptions } from '../infrastructure/bus/message-bus.js';

/** What every resolver receives: its own identity map and loaders, the caller, the services. */
export interface HubContext {
  em: Tx;
  loaders: Loaders;
  /** Who is calling; every service call and query is checked against it. */
  principal: Principal;
  services: Services;
  /** For subscriptions: how many events may wait for a slow reader, and what then. */
  eventQueue?: QueueOptions;
  /** Starts a fresh identity map and loaders; subscriptions call it per event so data is current. */
  renew(): void;
}

/**
 * The identity map and loaders are made on first use: a subscription's context lives as long as its
 * socket, and most of that time it waits for events (an ORM context and ~20 loaders per idle socket
 * were about 10 KB of heap each; issue 15). `renew()` drops them, and the next use makes fresh ones.
 */
export function createContext(db: Database, services: Services, principal: Principal): HubContext {
  let em: Tx | null = null;
  let loaders: Loaders | null = null;
  return {
    get em() {
      em ??= db.em.fork();
      return em;
    },
    get loaders() {
      loaders ??= createLoaders(this.em, principal);
      return loaders;
    },
    principal,
    services,
    renew() {
      em = null;
      loaders = null;
    },
  };
}
