import { createHash, X509Certificate } from 'node:crypto';
import {
  ApiKey,
  OpcuaUserCertificate,
  Permission,
  type TrustOpcuaUserCertificateInput,
  WHOLE_INSTALLATION,
} from '@plantgraph/schema';
import type { Database, Tx } from '../infrastructure/database/database.js';
import { paginate, type PageRequest } from '../core/paging.js';
import { Principal } from '../core/principal.js';
import { snapshot, type UnitOfWork } from '../core/unit-of-work.js';
import { fail, invalidInput, notFound } from '../core/failures.js';
import { grantsWithin } from './api-keys.js';

/** SHA-1 of a certificate's DER, lower-case hex: how OPC UA tools name a certificate. */
export const thumbprintOf = (der: Buffer) => createHash('sha1').update(der).digest('hex');

/**
 * The OPC UA Job Control face's trust list of X.509 user certificates (ADR 0038), in the database so every
 * replica and every restart has the same one. Each trusted certificate acts as an API key: a session signed in
 * with it has the key's grants, checked again at every call, so revoking the key (or distrusting the
 * certificate) shuts it out. Managed like keys (ManageKeys, within the scopes of the key's grants), audited.
 */
export class OpcuaUserCertificateService {
  constructor(
    private readonly db: Database,
    private readonly uow: UnitOfWork,
  ) {}

  /** The trusted certificates whose keys the caller could manage, by thumbprint. */
  async list(em: Tx, principal: Principal, page: PageRequest) {
    if (principal.scopesFor(Permission.ManageKeys).includes(WHOLE_INSTALLATION))
      return paginate(em, OpcuaUserCertificate, {}, page, 'thumbprint');
    const keys = await em.find(ApiKey, {});
    const mine = keys.filter((k) => grantsWithin(principal, k.grants)).map((k) => k.id);
    return paginate(em, OpcuaUserCertificate, { apiKeyId: { $in: mine } }, page, 'thumbprint');
  }

  /** Trusts a certificate as the API key `input.apiKey`; a certificate trusted already is mapped anew. */
  trust(principal: Principal, input: TrustOpcuaUserCertificateInput) {
    return this.uow.run(principal.name, async (work) => {
      const certificate = parseCertificate(input.certificate);
      const notAfter = new Date(certificate.validTo);
      if (notAfter.getTime() <= Date.now())
        fail(invalidInput('certificate', `expired at ${notAfter.toISOString()}; trust a valid one.`));
      const key = await work.tx.findOne(ApiKey, { id: input.apiKey });
      // A key the caller could not manage reads like a missing one, as revokeApiKey answers.
      if (!key || !grantsWithin(principal, key.grants)) return fail(notFound('API key', input.apiKey));
      if (key.revokedAt || (key.expiresAt && key.expiresAt.getTime() <= Date.now()))
        fail(
          invalidInput('apiKey', `the key "${key.name}" is revoked or expired; map the certificate to a usable key.`),
        );
      const thumbprint = thumbprintOf(certificate.raw);
      const existing = await work.tx.findOne(OpcuaUserCertificate, { thumbprint });
      if (existing && !(await this.#manageable(work.tx, principal, existing)))
        fail(invalidInput('certificate', 'is trusted already, as a key you do not manage.'));
      const before = existing ? snapshot(existing) : undefined;
      const trusted =
        existing ??
        work.tx.create(OpcuaUserCertificate, {
          thumbprint,
          subject: '',
          notAfter,
          certificate: certificate.raw.toString('base64'),
          apiKeyId: key.id,
          createdBy: principal.name,
        });
      trusted.subject = certificate.subject.split('\n').join(', ').slice(0, 255);
      trusted.notAfter = notAfter;
      trusted.apiKeyId = key.id;
      work.changed('OpcuaUserCertificateTrusted', trusted, thumbprint, before);
      return trusted;
    });
  }

  /** Takes a certificate off the trust list: its sessions are refused at their next call. */
  distrust(principal: Principal, thumbprint: string) {
    return this.uow.run(principal.name, async (work) => {
      const wanted = thumbprint.toLowerCase().replace(/[^0-9a-f]/g, '');
      const trusted = await work.tx.findOne(OpcuaUserCertificate, { thumbprint: wanted });
      if (!trusted || !(await this.#manageable(work.tx, principal, trusted)))
        return fail(notFound('OPC UA user certificate', thumbprint));
      const before = snapshot(trusted);
      work.changed('OpcuaUserCertificateDistrusted', trusted, wanted, before);
      work.tx.remove(trusted);
      return trusted;
    });
  }

  /**
   * The principal a certificate signs in as: its API key's, or null when the certificate is not trusted, has
   * expired, or its key is revoked or expired. Read at sign-in and at every call (one indexed statement).
   */
  async principalOf(der: Buffer): Promise<Principal | null> {
    const [row] = await this.db.em.fork().execute<
      {
        id: string;
        name: string;
        grants: ApiKey['grants'] | string;
        expires_at: Date | string | null;
        not_after: Date | string;
      }[]
    >(
      `select k.id, k.name, k.grants, k.expires_at, c.not_after from opcua_user_certificate c
       join api_key k on k.id = c.api_key_id
       where c.thumbprint = ? and k.revoked_at is null`,
      [leafThumbprint(der)],
    );
    if (!row) return null;
    const now = Date.now();
    const expiresAt = row.expires_at ? new Date(row.expires_at) : null;
    if (new Date(row.not_after).getTime() <= now || (expiresAt && expiresAt.getTime() <= now)) return null;
    const grants = typeof row.grants === 'string' ? (JSON.parse(row.grants) as ApiKey['grants']) : row.grants;
    return new Principal(row.name, 'api-key', grants, expiresAt, null, row.id);
  }

  async #manageable(tx: Tx, principal: Principal, trusted: OpcuaUserCertificate): Promise<boolean> {
    const key = await tx.findOne(ApiKey, { id: trusted.apiKeyId });
    return !key || grantsWithin(principal, key.grants);
  }
}

/** The thumbprint of the first certificate of a DER chain (a client may send its issuers after it); '' if none. */
export function leafThumbprint(der: Buffer): string {
  try {
    return thumbprintOf(new X509Certificate(der).raw);
  } catch {
    return '';
  }
}

/** A PEM or base64 DER certificate; an InvalidInput failure when it is neither. */
export function parseCertificate(text: string): X509Certificate {
  try {
    const trimmed = text.trim();
    return new X509Certificate(
      trimmed.includes('-----BEGIN CERTIFICATE-----') ? trimmed : Buffer.from(trimmed.replace(/\s+/g, ''), 'base64'),
    );
  } catch {
    return fail(invalidInput('certificate', 'is not an X.509 certificate; give it as PEM or base64 DER.'));
  }
}
