import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from 'jose';
import { graphql, graphqlRaw, uniqueName, type TestHub } from './support/harness.js';
import { TestIdentityProvider, startHubWithIdp } from './support/idp.js';
import { adminGet, deploy, helloFlow, withFlows } from './support/flows.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

type Who = {
  name: string;
  token: () => Promise<string | null>;
  expected: { read: number; deploy: number; permissions?: string };
};

/** The editor and its admin API accept the hub's credentials only, mapped to editor permissions. */
describe('flow editor authentication with hub credentials', () => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  const plant = uniqueName('auth');
  let adminToken: string;
  let engineerKey: string;

  beforeAll(async () => {
    ({ idp, hub } = await startHubWithIdp({ ...withFlows(plant) }));
    adminToken = await idp.token({ sub: 'root', roles: ['admin@*'] });
    const created = await graphql(
      hub.url,
      'mutation { createApiKey(input: { name: "flow-ci", grants: [{ role: Engineer, scope: "*" }] }) { ... on CreatedApiKey { secret } } }',
      undefined,
      adminToken,
    );
    engineerKey = created.createApiKey.secret;
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  const cases: Who[] = [
    {
      name: 'admin (JWT)',
      token: () => idp.token({ sub: 'root', roles: ['admin@*'] }),
      expected: { read: 200, deploy: 204, permissions: '*' },
    },
    {
      name: 'engineer (JWT)',
      token: () => idp.token({ sub: 'erin', roles: ['engineer@*'] }),
      expected: { read: 200, deploy: 204, permissions: '*' },
    },
    {
      name: 'engineer (API key)',
      token: async () => engineerKey,
      expected: { read: 200, deploy: 204, permissions: '*' },
    },
    {
      name: 'operator (JWT)',
      token: () => idp.token({ sub: 'otto', roles: ['operator@*'] }),
      expected: { read: 200, deploy: 401, permissions: 'read' },
    },
    {
      name: 'engineer of one area only (the flows act everywhere)',
      token: () => idp.token({ sub: 'ed', roles: ['engineer@acme/berlin'] }),
      expected: { read: 401, deploy: 401 },
    },
    { name: 'unauthenticated', token: async () => null, expected: { read: 401, deploy: 401 } },
    {
      name: 'an expired token',
      token: () => idp.token({ roles: ['admin@*'] }, { expiresIn: Math.floor(Date.now() / 1000) - 120 }),
      expected: { read: 401, deploy: 401 },
    },
    {
      name: 'a token signed by another key',
      token: async () => idp.token({ roles: ['admin@*'] }, { key: (await generateKeyPair('RS256')).privateKey }),
      expected: { read: 401, deploy: 401 },
    },
    {
      name: 'an unknown API key',
      token: async () => 'pgk_nope_0000000000000000',
      expected: { read: 401, deploy: 401 },
    },
  ];

  it.each(cases)('$name', async ({ name, token, expected }) => {
    const credential = await token();
    const settings = await adminGet(hub.url, '/settings', credential);
    expect(settings.status).toBe(expected.read);
    if (expected.permissions) expect(((await settings.json()) as any).user.permissions).toBe(expected.permissions);
    expect((await adminGet(hub.url, '/flows', credential)).status).toBe(expected.read);

    const before = (
      await graphql(hub.url, `{ flowDeployments(plant: "${plant}") { revision deployedBy } }`, undefined, adminToken)
    ).flowDeployments;
    const tab = uniqueName('t');
    expect((await deploy(hub.url, credential, helloFlow(tab, `/${tab}`, name))).status).toBe(expected.deploy);
    const after = (
      await graphql(hub.url, `{ flowDeployments(plant: "${plant}") { revision deployedBy } }`, undefined, adminToken)
    ).flowDeployments;
    if (expected.deploy === 204) {
      expect(after).toHaveLength(before.length + 1);
      expect(after[0].deployedBy).toMatch(name.includes('API key') ? /^api-key:flow-ci$/ : /^user:(root|erin)$/);
    } else {
      expect(after).toEqual(before); // refused: nothing stored
    }
  });

  it('logs in through the editor form with a hub credential as the password', async () => {
    const form = (password: string) =>
      fetch(`${hub.url}/flows/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: 'node-red-editor',
          grant_type: 'password',
          scope: '',
          username: 'anyone',
          password,
        }),
      });
    expect(((await (await fetch(`${hub.url}/flows/auth/login`)).json()) as any).type).toBe('credentials');
    const engineer = await idp.token({ sub: 'erin', roles: ['engineer@*'] });
    const ok = await form(engineer);
    expect(ok.status).toBe(200);
    const { access_token } = (await ok.json()) as { access_token: string };
    // The editor then uses the hub credential itself, checked on every request.
    expect(access_token).toBe(engineer);
    expect((await adminGet(hub.url, '/flows', access_token)).status).toBe(200);
    expect((await form('not-a-credential')).status).toBe(403);
    const scoped = await idp.token({ sub: 'ed', roles: ['engineer@acme/berlin'] });
    expect((await form(scoped)).status).toBe(403);
  });

  it('guards flowDeployments like other reads, and the flows principal acts within its grants', async () => {
    const noRead = await graphqlRaw(
      hub.url,
      { query: `{ flowDeployments(plant: "${plant}") { revision } }` },
      await idp.token({ roles: [] }),
    );
    expect(noRead.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const areaOnly = await graphqlRaw(
      hub.url,
      { query: `{ flowDeployments(plant: "${plant}") { revision } }` },
      await idp.token({ roles: ['operator@acme/berlin'] }),
    );
    expect(areaOnly.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });
});
