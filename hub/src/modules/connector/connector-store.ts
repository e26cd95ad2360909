import type { ConnectorStore } from '@plantgraph/connector-sdk';
import type { Database } from '../../infrastructure/database/database.js';
import type { SecretBox } from './secrets.js';

/** Longest key and value a connector may keep (a certificate chain with its key fits many times). */
const MAX_KEY = 128;
const MAX_VALUE = 1_000_000;

/**
 * One connector instance's key/value store (`ConnectorContext.store`): rows of `connector_store`,
 * each value sealed like the instance's secrets, so a client certificate's private key kept here is
 * no easier to read from a dump than a password (ADR 0033-opcua-connector). Plain SQL, not an entity:
 * it is written outside the unit of work (a connector's own state, not a business change to audit).
 */
export class ConnectorKeyValueStore implements ConnectorStore {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
    private readonly connector: string,
  ) {}

  async get(key: string): Promise<string | null> {
    checkKey(key);
    const [row] = await this.db.em
      .fork()
      .execute<{ value: string }[]>(`select value from connector_store where connector = ? and key = ?`, [
        this.connector,
        key,
      ]);
    if (!row) return null;
    const opened = await this.box.open(row.value);
    return typeof opened.v === 'string' ? opened.v : null;
  }

  async set(key: string, value: string | null): Promise<void> {
    checkKey(key);
    const em = this.db.em.fork();
    if (value === null) {
      await em.execute(`delete from connector_store where connector = ? and key = ?`, [this.connector, key]);
      return;
    }
    if (value.length > MAX_VALUE) throw new Error(`store: the value of ${key} is over ${MAX_VALUE} characters.`);
    await em.execute(
      `insert into connector_store (connector, key, value, updated_at) values (?, ?, ?, now())
       on conflict (connector, key) do update set value = excluded.value, updated_at = excluded.updated_at`,
      [this.connector, key, await this.box.seal({ v: value })],
    );
  }
}

function checkKey(key: string): void {
  if (!key || key.length > MAX_KEY) throw new Error(`store: a key is 1-${MAX_KEY} characters (got "${key}").`);
}
