import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Database } from '../../infrastructure/database/database.js';

/**
 * Encrypts connector secrets at rest (AES-256-GCM, a fresh IV each time). The key comes as the flows'
 * credential secret does: `PLANTGRAPH_CONNECTOR_SECRET` when set, else one generated once and kept in
 * the database (`connector_secret_key`), which protects against leaked rows or exports of the instance
 * table, not against someone holding the whole database: set the variable in production.
 */
export class SecretBox {
  #key: Buffer | null = null;

  constructor(
    private readonly db: Database,
    private readonly configured?: string,
  ) {}

  /**
   * Loads (or first generates) the key. Call it outside any transaction before sealing inside one:
   * a key generated in a transaction that rolls back would be lost, and embedded PGlite has one
   * session, which that transaction holds.
   */
  async ready(): Promise<void> {
    await this.key();
  }

  private async key(): Promise<Buffer> {
    if (this.#key) return this.#key;
    let secret = this.configured;
    if (!secret) {
      const em = this.db.em.fork();
      // One statement, so concurrent replicas agree on whichever key was stored first.
      await em.execute(`insert into connector_secret_key (id, key) values (1, ?) on conflict (id) do nothing`, [
        randomBytes(32).toString('hex'),
      ]);
      const [row] = await em.execute<{ key: string }[]>(`select key from connector_secret_key where id = 1`);
      secret = row!.key;
    }
    this.#key = createHash('sha256').update(secret).digest();
    return this.#key;
  }

  async seal(values: Record<string, unknown>): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.key(), iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  async open(sealed: string | null | undefined): Promise<Record<string, unknown>> {
    if (!sealed) return {};
    const raw = Buffer.from(sealed.replace(/^v1\./, ''), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', await this.key(), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'));
    } catch {
      throw new Error(
        'Cannot decrypt the connector secrets: PLANTGRAPH_CONNECTOR_SECRET is not the one they were stored with.',
      );
    }
  }
}
