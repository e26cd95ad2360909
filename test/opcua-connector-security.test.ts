import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opcUaConnector } from '@plantgraph/connector-opcua';
import { OpcUaMachineSimulator } from '@plantgraph/opcua-simulator';

/** The connector without a hub: its store in memory, to see what it keeps there. */
function runtime(sim: OpcUaMachineSimulator, store: Map<string, string>, settings: Record<string, unknown>) {
  return opcUaConnector.create({
    name: 'secure',
    log: { log: () => {}, warn: () => {} },
    store: {
      get: async (k) => store.get(k) ?? null,
      set: async (k, v) => void (v === null ? store.delete(k) : store.set(k, v)),
    },
    hub: { graphql: async () => ({ errors: [{ message: 'no hub in this test' }] }) },
    settings: {
      endpointUrl: sim.endpointUrl,
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      trustServerOnFirstUse: true,
      timeoutMs: 10_000,
      publishingIntervalMs: 250,
      samplingIntervalMs: 100,
      queueSize: 100,
      bufferLimit: 1000,
      batchSize: 1000,
      mapping: { equipment: [] },
      ...settings,
    },
  });
}

describe('OPC UA connector: security and the client certificate kept in the store', () => {
  let sim: OpcUaMachineSimulator;
  beforeAll(async () => {
    sim = await OpcUaMachineSimulator.start({ machines: ['press-1'], users: { operator: 's3cret' }, anonymous: false });
  }, 30_000);
  afterAll(() => sim?.stop());

  it('signs and encrypts as a user, and keeps one certificate and key across connections', async () => {
    const store = new Map<string, string>();
    const first = runtime(sim, store, { user: 'operator', password: 's3cret' });
    const check = await first.testConnection();
    expect(check.detail).toMatch(/^server time 20\d\d-/);
    const pki = JSON.parse(store.get('pki')!) as Record<string, string>;
    expect(Object.keys(pki)).toEqual(
      expect.arrayContaining(['own/certs/client_certificate.pem', 'own/private/private_key.pem']),
    );
    expect(Object.keys(pki).some((p) => p.startsWith('trusted/certs/'))).toBe(true); // the server, trusted on first use
    // A second instance run (a restart) uses the same certificate: nothing new to store.
    const again = runtime(sim, store, { user: 'operator', password: 's3cret' });
    await again.testConnection();
    expect(JSON.parse(store.get('pki')!)['own/certs/client_certificate.pem']).toBe(
      pki['own/certs/client_certificate.pem'],
    );
  }, 60_000);

  it('says why a logon fails: a wrong password, anonymous refused, an untrusted server', async () => {
    await expect(runtime(sim, new Map(), { user: 'operator', password: 'wrong' }).testConnection()).rejects.toThrow(
      /^opc\.tcp:\/\/127\.0\.0\.1:\d+\/plantgraph: BadUserAccessDenied .* check user and password/,
    );
    await expect(runtime(sim, new Map(), {}).testConnection()).rejects.toThrow(/takes no anonymous logon/);
    await expect(
      runtime(sim, new Map(), { user: 'operator', password: 's3cret', trustServerOnFirstUse: false }).testConnection(),
    ).rejects.toThrow(/BadCertificateUntrusted .* give it as serverCertificate, or set trustServerOnFirstUse/);
  }, 60_000);
});
