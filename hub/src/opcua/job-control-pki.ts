import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPCUACertificateManager, type StatusCode, StatusCodes } from 'node-opcua';

type Certificate = Buffer;
import type { ServerIdentity } from './server-identity.js';

/** The face's application URI: the installation's, in the certificate every replica presents. */
export const APPLICATION_URI = 'urn:plantgraph:isa95-job-control';
export const APPLICATION_NAME = 'PlantGraph ISA-95 Job Control';

interface PkiSources {
  identity: { load(): Promise<ServerIdentity | null>; keep(made: ServerIdentity): Promise<ServerIdentity> };
  applications: { accepts(der: Buffer): Promise<boolean> };
}

/**
 * node-opcua wants a PKI folder; the face's PKI lives in the database (the server's identity, the trust list of
 * client applications), so the folder is a private temporary one written at each start and removed at close.
 * The first start of an installation makes the certificate here and keeps it; a replica starting at the same
 * time uses whichever was kept first.
 */
export async function openServerPki(o: PkiSources): Promise<{ folder: string; manager: OPCUACertificateManager }> {
  const folder = await mkdtemp(join(tmpdir(), 'plantgraph-opcua-server-'));
  try {
    const manager = new TrustListCertificateManager(folder, o.applications);
    await manager.initialize();
    const certificateFile = join(folder, 'own/certs/certificate.pem');
    const privateKeyFile = join(folder, 'own/private/private_key.pem');
    let identity = await o.identity.load();
    if (!identity) {
      // initialize() made a private key; a self-signed certificate for it, valid ten years (as node-opcua's own).
      await manager.createSelfSignedCertificate({
        applicationUri: APPLICATION_URI,
        dns: [hostname()],
        subject: `/CN=${APPLICATION_NAME}/O=PlantGraph`,
        startDate: new Date(),
        validity: 365 * 10,
        outputFile: certificateFile,
      });
      identity = await o.identity.keep({
        certificate: await readFile(certificateFile, 'utf8'),
        privateKey: await readFile(privateKeyFile, 'utf8'),
      });
    }
    await mkdir(join(folder, 'own/certs'), { recursive: true, mode: 0o700 });
    await writeFile(certificateFile, identity.certificate, { mode: 0o600 });
    await writeFile(privateKeyFile, identity.privateKey, { mode: 0o600 });
    return { folder, manager };
  } catch (err) {
    await rm(folder, { recursive: true, force: true });
    throw err;
  }
}

/**
 * node-opcua's certificate checks (validity, chain, key usage) first, then the hub's trust list: an application
 * distrusted there is refused whatever the folder says (the folder only ever trusts, automatically).
 */
class TrustListCertificateManager extends OPCUACertificateManager {
  constructor(
    folder: string,
    private readonly applications: PkiSources['applications'],
  ) {
    super({ rootFolder: folder, automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
  }

  override checkCertificate(chain: Certificate | Certificate[]): Promise<StatusCode>;
  override checkCertificate(
    chain: Certificate | Certificate[],
    done: (err: Error | null, s?: StatusCode) => void,
  ): void;
  override checkCertificate(
    chain: Certificate | Certificate[],
    done?: (err: Error | null, s?: StatusCode) => void,
  ): Promise<StatusCode> | undefined {
    const verdict = (async () => {
      const status = await super.checkCertificate(chain);
      if (status.isNotGood()) return status;
      const der = Array.isArray(chain) ? Buffer.concat(chain) : chain;
      return (await this.applications.accepts(der)) ? status : StatusCodes.BadCertificateUntrusted;
    })();
    if (!done) return verdict;
    verdict.then(
      (s) => done(null, s),
      (err: Error) => done(err),
    );
    return undefined;
  }
}
