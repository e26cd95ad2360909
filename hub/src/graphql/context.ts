import type { Database, Tx } from '../infrastructure/database/database.js';
import type { Services } from '../services.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every resolver receives: its own identity map and loaders, the caller, the services. */
export interface HubContext {
  em: Tx;
  loaders: Loaders;
  actor: string;
  services: Services;
  /** Starts a fresh identity map and loaders; subscriptions call it per event so data is current. */
  renew(): void;
}

export function createContext(db: Database, services: Services, actor: string): HubContext {
  const ctx: HubContext = {
    em: db.em.fork(),
    loaders: undefined as unknown as Loaders,
    actor,
    services,
    renew() {
      ctx.em = db.em.fork();
      ctx.loaders = createLoaders(ctx.em);
    },
  };
  ctx.loaders = createLoaders(ctx.em);
  return ctx;
}
