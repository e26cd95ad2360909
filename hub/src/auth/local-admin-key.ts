import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HubConfig } from '../config.js';
import type { ApiKeyService } from './api-keys.js';

/** The development hub's admin key: its secret, the file that keeps it, and whether it is new. */
export interface LocalAdminKey {
  secret: string;
  /** Null for an in-memory database (`memory://`): the key lives as long as the process. */
  file: string | null;
  /** New at this start (print it); else it is the one kept from an earlier start. */
  created: boolean;
}

/** Where a development hub keeps its local admin key: in its data folder, readable by its user only. */
export function localAdminKeyFile(config: Pick<HubConfig, 'dataDir'>): string | null {
  return config.dataDir.startsWith('memory://') ? null : join(config.dataDir, 'local-admin-key');
}

/**
 * The local admin key of a development hub without an identity provider: the one kept in the data
 * folder while the database still accepts it, else a new one (which revokes the earlier ones).
 * A kept key no longer accepted (another database, a restored backup, a rotation) is replaced.
 */
export async function openLocalAdminKey(
  config: Pick<HubConfig, 'dataDir'>,
  apiKeys: ApiKeyService,
): Promise<LocalAdminKey> {
  const file = localAdminKeyFile(config);
  const kept = file && existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
  if (kept && (await apiKeys.isCurrentLocalAdmin(kept))) return { secret: kept, file, created: false };
  return rotateLocalAdminKey(config, apiKeys, 'system:hub');
}

/** A new local admin key, kept in the data folder; every earlier one stops working at once. */
export async function rotateLocalAdminKey(
  config: Pick<HubConfig, 'dataDir'>,
  apiKeys: ApiKeyService,
  actor: string,
): Promise<LocalAdminKey> {
  const file = localAdminKeyFile(config);
  const secret = await apiKeys.rotateLocalAdmin(actor);
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    chmodSync(file, 0o600); // an existing file keeps its mode on write
  }
  return { secret, file, created: true };
}

/** How to get the current key, for the banner and for those presenting a replaced one. */
export function howToGetLocalAdminKey(file: string | null): string {
  return file
    ? `the current one is kept in ${file} on the hub's machine (cat it); \`plantgraph api-key rotate\` makes a new one`
    : 'the hub prints the current one when it starts (with PLANTGRAPH_DATA_DIR=memory:// it keeps none, ' +
        'so each start of a hub makes a new one and replaces the one before)';
}
