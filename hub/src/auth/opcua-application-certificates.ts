import { X509Certificate } from 'node:crypto';
import { OpcuaApplicationCertificate, Permission, WHOLE_INSTALLATION } from '@plantgraph/schema';
import type { Database, Tx } from '../infrastructure/database/database.js';
import { paginate, type PageRequest } from '../core/paging.js';
import type { Principal } from '../core/principal.js';
import { snapshot, type UnitOfWork } from '../core/unit-of-work.js';
import { fail, invalidInput, notFound } from '../core/failures.js';
import { parseCertificate, thumbprintOf } from './opcua-user-certificates.js';

/** Who decided on an application the face saw for the first time. */
export const FIRST_USE = 'first use';

/**
 * The Job Control face's trust list of OPC UA client application certificates, in the database (one list per
 * installation, every replica decides alike). An unknown application is trusted on first use and recorded, as
 * node-opcua's folder did with `automaticallyAcceptUnknownCertificate`; distrusting it refuses its secure
 * channels from the next one. Applications are not scoped to equipment: managing them needs ManageKeys on the
 * whole installation. Trust and distrust are audited units of work; the first-use record is the face's own
 * bookkeeping (plain SQL, like node-opcua moving a file into `trusted/`).
 */
export class OpcuaApplicationCertificateService {
  constructor(
    private readonly db: Database,
    private readonly uow: UnitOfWork,
  ) {}

  async list(em: Tx, principal: Principal, page: PageRequest) {
    if (!installationWide(principal))
      return paginate(em, OpcuaApplicationCertificate, { id: { $in: [] } }, page, 'thumbprint');
    return paginate(em, OpcuaApplicationCertificate, {}, page, 'thumbprint');
  }

  /** Trusts an application certificate (PEM or base64 DER), recorded anew if it was refused or first seen. */
  trust(principal: Principal, certificateText: string) {
    return this.#decide(principal, parseCertificate(certificateText), true);
  }

  /** Refuses an application's secure channels from its next one; it stays on the list as refused. */
  async distrust(principal: Principal, thumbprint: string) {
    return this.uow.run(principal.name, async (work) => {
      const wanted = thumbprint.toLowerCase().replace(/[^0-9a-f]/g, '');
      const known = installationWide(principal)
        ? await work.tx.findOne(OpcuaApplicationCertificate, { thumbprint: wanted })
        : null;
      if (!known) return fail(notFound('OPC UA application certificate', thumbprint));
      const before = snapshot(known);
      known.trusted = false;
      known.decidedBy = principal.name;
      work.changed('OpcuaApplicationCertificateDistrusted', known, wanted, before);
      return known;
    });
  }

  #decide(principal: Principal, certificate: X509Certificate, trusted: boolean) {
    return this.uow.run(principal.name, async (work) => {
      if (!installationWide(principal))
        fail(
          invalidInput(
            'certificate',
            'application certificates are managed with ManageKeys on the whole installation (*).',
          ),
        );
      const notAfter = new Date(certificate.validTo);
      if (trusted && notAfter.getTime() <= Date.now())
        fail(invalidInput('certificate', `expired at ${notAfter.toISOString()}; trust a valid one.`));
      const thumbprint = thumbprintOf(certificate.raw);
      const existing = await work.tx.findOne(OpcuaApplicationCertificate, { thumbprint });
      const before = existing ? snapshot(existing) : undefined;
      const row =
        existing ?? work.tx.create(OpcuaApplicationCertificate, { ...describe(certificate), trusted, decidedBy: '' });
      row.trusted = trusted;
      row.decidedBy = principal.name;
      work.changed('OpcuaApplicationCertificateTrusted', row, thumbprint, before);
      return row;
    });
  }

  /**
   * Whether the face accepts a secure channel from this certificate (its DER chain; the first is the
   * application's): refused when distrusted, else accepted, and recorded when it is seen for the first time.
   */
  async accepts(der: Buffer): Promise<boolean> {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(der);
    } catch {
      return false;
    }
    const d = describe(certificate);
    const em = this.db.em.fork();
    // One statement: replicas seeing the same application at once record it once; a decision is never overwritten.
    await em.execute(
      `insert into opcua_application_certificate
         (id, created_at, updated_at, thumbprint, subject, application_uri, not_after, certificate, trusted, decided_by)
       values (gen_random_uuid(), now(), now(), ?, ?, ?, ?, ?, true, ?) on conflict (thumbprint) do nothing`,
      [d.thumbprint, d.subject, d.applicationUri, d.notAfter, d.certificate, FIRST_USE],
    );
    const [row] = await em.execute<{ trusted: boolean }[]>(
      `select trusted from opcua_application_certificate where thumbprint = ?`,
      [d.thumbprint],
    );
    return row?.trusted === true;
  }
}

const installationWide = (principal: Principal) =>
  principal.scopesFor(Permission.ManageKeys).includes(WHOLE_INSTALLATION);

function describe(certificate: X509Certificate) {
  const uri = /URI:([^,\s]+)/.exec(certificate.subjectAltName ?? '')?.[1] ?? '';
  return {
    thumbprint: thumbprintOf(certificate.raw),
    subject: certificate.subject.split('\n').join(', ').slice(0, 255),
    applicationUri: uri,
    notAfter: new Date(certificate.validTo),
    certificate: certificate.raw.toString('base64'),
  };
}
