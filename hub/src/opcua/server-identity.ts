import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '../infrastructure/database/database.js';
import type { SecretBox } from '../modules/connector/secrets.js';

/** The Job Control server's application certificate and private key (PEM). */
export interface ServerIdentity {
  certificate: string;
  privateKey: string;
}

/**
 * The Job Control face's own application certificate and private key: one per installation, in the database
 * (`opcua_server_identity`), so every replica and every restart presents the same certificate to clients that
 * trusted it, whatever their data folder. The private key is sealed like the connectors' secrets and their
 * client certificates' keys (`SecretBox`). Plain SQL: the face's own state, not a business change to audit.
 */
export class ServerIdentityStore {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
    /** The data folder of a hub that kept its PKI there (before ADR 0046): its identity is taken over once. */
    private readonly dataDir?: string,
  ) {}

  /** The stored identity; else the one an older hub left in `<data dir>/opcua-pki`, now kept; else null. */
  async load(): Promise<ServerIdentity | null> {
    const stored = await this.#stored();
    if (stored || !this.dataDir || this.dataDir.startsWith('memory://')) return stored;
    const folder = join(this.dataDir, 'opcua-pki');
    const legacy = await Promise.all([
      readFile(join(folder, 'own/certs/certificate.pem'), 'utf8'),
      readFile(join(folder, 'own/private/private_key.pem'), 'utf8'),
    ]).catch(() => null);
    return legacy ? this.keep({ certificate: legacy[0], privateKey: legacy[1] }) : null;
  }

  async #stored(): Promise<ServerIdentity | null> {
    const [row] = await this.db.em
      .fork()
      .execute<{ certificate: string; private_key: string }[]>(
        `select certificate, private_key from opcua_server_identity where id = 1`,
      );
    if (!row) return null;
    const opened = await this.box.open(row.private_key);
    if (typeof opened.key !== 'string') throw new Error('opcua_server_identity: the private key is not readable.');
    return { certificate: row.certificate, privateKey: opened.key };
  }

  /**
   * Keeps `made` unless an identity exists already (another replica started at the same time): returns the one
   * stored, which every replica then uses.
   */
  async keep(made: ServerIdentity): Promise<ServerIdentity> {
    await this.box.ready();
    await this.db.em.fork().execute(
      `insert into opcua_server_identity (id, certificate, private_key, created_at) values (1, ?, ?, now())
         on conflict (id) do nothing`,
      [made.certificate, await this.box.seal({ key: made.privateKey })],
    );
    return (await this.#stored())!;
  }
}
