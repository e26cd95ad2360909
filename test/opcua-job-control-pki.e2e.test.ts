import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MessageSecurityMode, OPCUACertificateManager, OPCUAClient, SecurityPolicy } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  deleteNatsNamespace,
  startTestHub,
  TEST_NATS_URL,
  type TestHub,
  uniqueName,
} from './support/harness.js';
import { JobControlClient, userCertificate } from './support/opcua-client.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../hub/dist/cli.js', import.meta.url));

/** The certificate an endpoint presents (DER, base64), as a client sees it before trusting it. */
async function presented(endpointUrl: string): Promise<string> {
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  try {
    await client.connect(endpointUrl);
    const endpoints = await client.getEndpoints();
    return Buffer.from(endpoints[0]!.serverCertificate!).toString('base64');
  } finally {
    await client.disconnect();
  }
}

/** Opens a signed and encrypted secure channel as the application whose PKI is `folder`; resolves or rejects. */
async function secureChannel(endpointUrl: string, folder: string): Promise<void> {
  const client = OPCUAClient.create({
    applicationName: 'plantgraph-test-scada',
    endpointMustExist: false,
    securityMode: MessageSecurityMode.SignAndEncrypt,
    securityPolicy: SecurityPolicy.Basic256Sha256,
    connectionStrategy: { maxRetry: 0, initialDelay: 100 },
    clientCertificateManager: new OPCUACertificateManager({
      rootFolder: folder,
      automaticallyAcceptUnknownCertificate: true,
    }),
  });
  try {
    await client.connect(endpointUrl);
  } finally {
    await client.disconnect().catch(() => {});
  }
}

/**
 * The Job Control face's PKI lives in the database (issue 17): the server's certificate is one per installation,
 * shared by replicas and kept whatever the data folder; its trust list of client applications and of user
 * certificates is managed through GraphQL and the `plantgraph opcua-certificates` CLI alike.
 */
describe('OPC UA Job Control: its certificate and trust lists in the database (postgres+nats)', () => {
  const folders = [1, 2, 3].map(() => mkdtempSync(join(tmpdir(), 'plantgraph-jobcontrol-pki-')));
  const clientPki = mkdtempSync(join(tmpdir(), 'plantgraph-opcua-app-'));
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const natsNamespace = uniqueName('t');
  const hubs: TestHub[] = [];
  const start = async (dataDir: string, demo = false) => {
    const hub = await startTestHub('postgres+nats', {
      databaseUrl: database.url,
      natsUrl: TEST_NATS_URL,
      natsNamespace,
      dataDir,
      opcuaPort: 0,
      demo,
      simulatorIntervalMs: 0,
    });
    hubs.push(hub);
    return hub;
  };
  const cli = async (...args: string[]) => {
    try {
      const { stdout } = await run('node', [CLI, 'opcua-certificates', ...args], {
        env: { ...process.env, DATABASE_URL: database.url, NATS_URL: '', PLANTGRAPH_NATS_NAMESPACE: natsNamespace },
        timeout: 60_000,
      });
      return { code: 0, out: stdout };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, out: `${e.stdout}${e.stderr}` };
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    for (const hub of hubs) await hub.stop().catch(() => {});
    await database?.drop();
    await deleteNatsNamespace(natsNamespace);
    for (const f of [...folders, clientPki]) rmSync(f, { recursive: true, force: true });
  });

  it('presents one certificate from every replica and after a start with a fresh data folder', async () => {
    const a = await start(folders[0]!, true);
    const b = await start(folders[1]!);
    const first = await presented(a.jobControl!.endpointUrl);
    expect(await presented(b.jobControl!.endpointUrl)).toBe(first);
    await a.stop();
    hubs.splice(hubs.indexOf(a), 1);
    const c = await start(folders[2]!);
    expect(await presented(c.jobControl!.endpointUrl)).toBe(first);
    // Nothing of it in any data folder; the private key is sealed in the database.
    for (const f of folders) expect(existsSync(join(f, 'opcua-pki'))).toBe(false);
    const [row] = await c.db.em.fork().execute('select certificate, private_key from opcua_server_identity');
    expect(row.private_key).toMatch(/^v1\./);
    expect(row.private_key).not.toContain('PRIVATE KEY');
    expect(row.certificate).toContain('BEGIN CERTIFICATE');
  }, 180_000);

  it('trusts an application on first use, refuses it once distrusted, and lets the CLI trust it again', async () => {
    const hub = hubs[hubs.length - 1]!;
    const url = hub.jobControl!.endpointUrl;
    await secureChannel(url, clientPki);
    const { opcuaApplicationCertificates: seen } = await hub.gql(
      '{ opcuaApplicationCertificates { edges { node { thumbprint trusted decidedBy applicationUri } } } }',
    );
    expect(seen.edges).toHaveLength(1);
    const app = seen.edges[0].node;
    expect(app).toMatchObject({ trusted: true, decidedBy: 'first use' });
    expect(app.applicationUri).toContain('plantgraph-test-scada');

    const { distrustOpcuaApplicationCertificate: d } = await hub.gql(
      `mutation ($t: String!) { distrustOpcuaApplicationCertificate(thumbprint: $t) {
        __typename ... on OpcuaApplicationCertificate { trusted } } }`,
      { t: app.thumbprint },
    );
    expect(d).toEqual({ __typename: 'OpcuaApplicationCertificate', trusted: false });
    await expect(secureChannel(url, clientPki)).rejects.toThrow();
    // Another replica decides alike: the list is the database's.
    const other = hubs[0]!;
    await expect(secureChannel(other.jobControl!.endpointUrl, clientPki)).rejects.toThrow();

    const listed = await cli('list');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`${app.thumbprint}  REFUSED \\(`));
    const own = join(clientPki, 'own/certs');
    const pem = readdirSync(own).find((f) => f.endsWith('.pem'))!;
    const trusted = await cli('trust', 'application', join(own, pem));
    expect(trusted.out).toContain(`[opcua] trusted the client application ${app.thumbprint}`);
    await secureChannel(url, clientPki);
    const [audit] = await hub.db.em
      .fork()
      .execute(
        `select actor from audit_record where action = 'OpcuaApplicationCertificateTrusted' order by at desc limit 1`,
      );
    expect(audit.actor).toBe('system:cli');
  }, 120_000);

  it('manages user certificates from the CLI as through GraphQL, with errors that say what to fix', async () => {
    // The latest replica: each replaced the local admin key (one per database) with its data folder's.
    const hub = hubs[hubs.length - 1]!;
    const { createApiKey } = await hub.gql(
      `mutation { createApiKey(input: { name: "opcua-cli-scada", grants: [{ role: Supervisor, scope: "acme/berlin/assembly" }] }) {
        ... on CreatedApiKey { secret apiKey { id } } } }`,
    );
    const certificate = await userCertificate(clientPki, 'user-cli');
    const file = join(clientPki, 'user-cli.pem');
    writeFileSync(file, certificate.pem);

    const trusted = await cli('trust', 'user', file, '--api-key', createApiKey.apiKey.id);
    expect(trusted.code, trusted.out).toBe(0);
    expect(trusted.out).toMatch(/trusted the user certificate [0-9a-f]{40} \(.*CN=user-cli.*\): it signs in as key/);
    const thumbprint = /certificate ([0-9a-f]{40})/.exec(trusted.out)![1]!;
    const session = await JobControlClient.connect(hub.jobControl!.endpointUrl, clientPki, certificate);
    await session.close();
    const { opcuaUserCertificates: list } = await hub.gql(
      '{ opcuaUserCertificates { edges { node { thumbprint } } } }',
    );
    expect(list.edges.map((e: { node: { thumbprint: string } }) => e.node.thumbprint)).toContain(thumbprint);
    expect((await cli('list')).out).toMatch(new RegExp(`${thumbprint}  .*CN=user-cli`));

    const distrusted = await cli('distrust', 'user', thumbprint);
    expect(distrusted.out).toContain(`distrusted the user certificate ${thumbprint}`);
    await expect(JobControlClient.connect(hub.jobControl!.endpointUrl, clientPki, certificate)).rejects.toThrow();

    const again = await cli('distrust', 'user', thumbprint);
    expect(again.code).toBe(1);
    expect(again.out).toContain(`nothing changed: No OPC UA user certificate "${thumbprint}" exists.`);
    const noKey = await cli('trust', 'user', file);
    expect(noKey.out).toContain('--api-key <value> is required.');
    const missing = await cli('trust', 'application', join(clientPki, 'nothing.pem'));
    expect(missing.out).toMatch(/cannot read .*nothing\.pem \(ENOENT\)/);
    const notCertificate = await cli('trust', 'application', CLI);
    expect(notCertificate.out).toContain('is not an X.509 certificate; give it as PEM or base64 DER.');
    const usage = await cli('revoke');
    expect(usage.code).toBe(1);
    expect(usage.out).toContain('plantgraph opcua-certificates trust user <file.pem> --api-key <key id>');
  }, 120_000);

  it('takes over the certificate an older hub left in its data folder, once', async () => {
    // A hub from before kept node-opcua's PKI in <data dir>/opcua-pki; a new database keeps that identity.
    const dataDir = mkdtempSync(join(tmpdir(), 'plantgraph-jobcontrol-legacy-'));
    folders.push(dataDir);
    const old = await userCertificate(clientPki, 'old-server');
    mkdirSync(join(dataDir, 'opcua-pki/own/certs'), { recursive: true });
    mkdirSync(join(dataDir, 'opcua-pki/own/private'), { recursive: true });
    writeFileSync(join(dataDir, 'opcua-pki/own/certs/certificate.pem'), old.pem);
    writeFileSync(join(dataDir, 'opcua-pki/own/private/private_key.pem'), old.privateKey);
    const hub = await startTestHub('postgres+nats', { dataDir, opcuaPort: 0 });
    hubs.push(hub);
    expect(await presented(hub.jobControl!.endpointUrl)).toBe(old.der.toString('base64'));
    const [row] = await hub.db.em.fork().execute('select certificate from opcua_server_identity');
    expect(row.certificate.trim()).toBe(old.pem.trim());
  }, 120_000);
});
