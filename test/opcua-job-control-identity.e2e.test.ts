import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '@plantgraph/hub';
import { MODES, startTestHub, type TestHub } from './support/harness.js';
import { tableCounts } from './support/plant.js';
import { LINE_1 } from './support/regulated.js';
import { comment, JobControlClient, jobId, type UserCertificate, userCertificate } from './support/opcua-client.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const TRUST = `mutation ($c: String!, $k: ID!) { trustOpcuaUserCertificate(input: { certificate: $c, apiKey: $k }) {
  __typename ... on OpcuaUserCertificate { thumbprint subject apiKeyId } ... on ErrorResult { code message } } }`;
/** Refused sign-ins an address may make a minute (lower than the default, so the test reaches the limit). */
const FAILURES_PER_MINUTE = 8;

describe.each(MODES)('OPC UA Job Control sign-in with user certificates and its limit (%s)', (mode) => {
  let hub: TestHub;
  let pki: Awaited<ReturnType<typeof JobControlClient.pkiFolder>>;
  const clients: JobControlClient[] = [];
  const certificates: Record<'scada' | 'stranger' | 'revoked' | 'viewer', UserCertificate> = {} as never;
  const keys: Record<'scada' | 'revoked' | 'viewer', { id: string; secret: string }> = {} as never;
  const connect = async (credential?: string | UserCertificate) => {
    const c = await JobControlClient.connect(hub.jobControl!.endpointUrl, pki.path, credential);
    clients.push(c);
    return c;
  };
  const key = async (name: string, grant: string) => {
    const { createApiKey } = await hub.gql(
      `mutation { createApiKey(input: { name: "${name}", grants: [${grant}] }) {
        ... on CreatedApiKey { secret apiKey { id } } } }`,
    );
    return { id: createApiKey.apiKey.id as string, secret: createApiKey.secret as string };
  };

  beforeAll(async () => {
    pki = await JobControlClient.pkiFolder();
    const auth = { ...configFromEnv({}).auth, failuresPerAddressPerMinute: FAILURES_PER_MINUTE };
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0, opcuaPort: 0, auth });
    for (const name of ['scada', 'stranger', 'revoked', 'viewer'] as const)
      certificates[name] = await userCertificate(pki.path, `user-${name}`);
    keys.scada = await key('opcua-scada', '{ role: Supervisor, scope: "acme/berlin/assembly" }');
    keys.revoked = await key('opcua-revoked', '{ role: Supervisor, scope: "acme/berlin/assembly" }');
    keys.viewer = await key('opcua-viewer', '{ role: Operator, scope: "acme/berlin/assembly" }');
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await hub?.stop();
    await pki?.rm();
  });

  it('keeps the trust list in the database, managed through GraphQL: a certificate maps to an API key', async () => {
    for (const name of ['scada', 'revoked', 'viewer'] as const) {
      const { trustOpcuaUserCertificate: t } = await hub.gql(TRUST, { c: certificates[name].pem, k: keys[name].id });
      expect(t).toMatchObject({ __typename: 'OpcuaUserCertificate', apiKeyId: keys[name].id });
      expect(t.subject).toContain(`CN=user-${name}`);
    }
    await hub.gql('mutation ($id: ID!) { revokeApiKey(id: $id) { __typename } }', { id: keys.revoked.id });
    const { opcuaUserCertificates: list } = await hub.gql(
      '{ opcuaUserCertificates(first: 10) { edges { node { thumbprint apiKeyId } } } }',
    );
    expect(list.edges).toHaveLength(3);
    const [rows] = [await hub.db.em.fork().execute('select count(*)::int as n from opcua_user_certificate')];
    expect(rows[0].n).toBe(3);
    // Refused: not a certificate; a key that does not exist.
    const { trustOpcuaUserCertificate: bad } = await hub.gql(TRUST, { c: 'not a certificate', k: keys.scada.id });
    expect(bad).toMatchObject({ __typename: 'InvalidInput' });
    const { trustOpcuaUserCertificate: noKey } = await hub.gql(TRUST, {
      c: certificates.stranger.pem,
      k: '00000000-0000-4000-8000-000000000000',
    });
    expect(noKey).toMatchObject({ __typename: 'NotFound' });
  });

  it('lets a trusted certificate in as its key, and refuses an untrusted one or one whose key is revoked', async () => {
    const scada = await connect(certificates.scada);
    const provider = await scada.child(await scada.workCenter(LINE_1), 'JobResponseProvider');
    const asked = await scada.call(provider, 'RequestJobResponseByJobOrderID', [jobId('NO-SUCH')]);
    expect(`${asked.statusCode.name}: ${asked.text}`).toBe(`BadNotFound: No job order NO-SUCH at ${LINE_1}.`);
    await expect(connect(certificates.stranger)).rejects.toThrow(/BadIdentityTokenRejected/);
    await expect(connect(certificates.revoked)).rejects.toThrow(/BadIdentityTokenRejected/);
  });

  it("refuses what the certificate's key may not do, and changes nothing", async () => {
    const before = await tableCounts(hub);
    const viewer = await connect(certificates.viewer);
    const receiver = await viewer.child(await viewer.workCenter(LINE_1), 'JobOrderReceiver');
    const job = await viewer.jobOrder({
      jobOrderID: 'JC-X509',
      workMasterID: [{ ID: 'PD-BRACKET-A' }],
      jobOrderParameters: [{ ID: 'Quantity', value: { dataType: 11, value: 10 } }],
    });
    const stored = await viewer.call(receiver, 'Store', [job, comment('')]);
    expect(stored.statusCode.name, stored.text).toBe('BadUserAccessDenied');
    expect(await tableCounts(hub)).toEqual(before);
  });

  it('shuts out the sessions of a certificate taken off the trust list at their next call', async () => {
    const scada = await connect(certificates.scada);
    const provider = await scada.child(await scada.workCenter(LINE_1), 'JobResponseProvider');
    const thumbprint = (await import('node:crypto')).createHash('sha1').update(certificates.scada.der).digest('hex');
    const { distrustOpcuaUserCertificate: gone } = await hub.gql(
      'mutation ($t: String!) { distrustOpcuaUserCertificate(thumbprint: $t) { __typename } }',
      { t: thumbprint },
    );
    expect(gone.__typename).toBe('OpcuaUserCertificate');
    const after = await scada.call(provider, 'RequestJobResponseByJobOrderID', [jobId('NO-SUCH')]);
    expect(after.statusCode.name).toBe('BadUserAccessDenied');
    await expect(connect(certificates.scada)).rejects.toThrow(/BadIdentityTokenRejected/);
  });

  it('limits refused sign-ins per address: then only keys verified lately get in', async () => {
    const lately = await key('opcua-lately', '{ role: Operator, scope: "acme/berlin/assembly" }');
    await (await connect(lately.secret)).close();
    const fresh = await key('opcua-fresh', '{ role: Operator, scope: "acme/berlin/assembly" }');
    // Another unknown key each time: one key's own failure limit would stop charging the address.
    let n = 0;
    const refusedKey = () => connect(`pgk_wrong${String(n++).padStart(7, '0')}_${'x'.repeat(43)}`);
    // Bounded: the budget is FAILURES_PER_MINUTE, some of it spent by the tests above. Once over it, a refusal
    // costs nothing more, so the address may try again after one token's refill (60 / FAILURES_PER_MINUTE s):
    // each check below comes right after a refused key, which is charged again if it had.
    for (let i = 0; i < FAILURES_PER_MINUTE; i++) await expect(refusedKey()).rejects.toThrow(/BadUserAccessDenied/);
    await expect(connect(fresh.secret)).rejects.toThrow(/BadUserAccessDenied/);
    await expect(refusedKey()).rejects.toThrow(/BadUserAccessDenied/);
    await expect(connect(certificates.viewer)).rejects.toThrow(/BadUserAccessDenied/);
    // A key this replica verified lately still gets in, as on the HTTP side; and the HTTP side counts the same.
    await expect(connect(lately.secret)).resolves.toBeDefined();
    await expect(refusedKey()).rejects.toThrow(/BadUserAccessDenied/);
    const http = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${fresh.secret}` },
      body: JSON.stringify({ query: '{ viewer { name } }' }),
    });
    expect(http.status).toBe(429);
  });
});
