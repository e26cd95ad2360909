import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { configFromEnv, startHub } from '@plantgraph/hub';
import { graphql, graphqlRaw, MODES, startTestHub, type TestHub } from './support/harness.js';
import { devIdpToken, startHubWithIdp } from './support/idp.js';
import { RESULT, tableCounts } from './support/plant.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const signIn = (hub: TestHub, fields: Record<string, string>, json = false) =>
  fetch(hub.devIdentityProvider!.tokenEndpoint, {
    method: 'POST',
    headers: json ? { 'content-type': 'application/json' } : {},
    body: json ? JSON.stringify(fields) : new URLSearchParams(fields),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, any> }));

describe.each(MODES)('the development identity provider (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  it("signs the plant's people in with real OpenID Connect tokens, verified as any provider's", async () => {
    const idp = hub.devIdentityProvider!;
    expect(idp.issuer).toBe(`${hub.url}/dev-idp`);
    const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as any;
    expect(discovery).toMatchObject({
      issuer: idp.issuer,
      jwks_uri: `${idp.issuer}/jwks`,
      token_endpoint: idp.tokenEndpoint,
      authorization_endpoint: `${idp.issuer}/authorize`,
      grant_types_supported: ['authorization_code', 'password'],
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
    const { status, body } = await signIn(hub, { grant_type: 'password', username: 'E1001', password: idp.password });
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'openid profile' });
    // Checked here as a third party would: by the discovered JWKS, issuer and audience.
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, {
      issuer: idp.issuer,
      audience: 'plantgraph-hub',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({
      sub: 'E1001',
      name: 'Ana Ruiz',
      roles: ['operator'],
      plantgraph_scopes: ['acme/berlin/assembly'],
    });
    expect(Math.abs((payload.auth_time as number) - Date.now() / 1000)).toBeLessThan(30);
    expect((await jwtVerify(body.id_token, jwks, { issuer: idp.issuer, audience: 'plantgraph' })).payload.sub).toBe(
      'E1001',
    );

    // The sign-in form, for people trying the API from a browser.
    const form = await fetch(`${idp.issuer}/login`);
    expect(await form.text()).toMatch(/For development only.*<form method="post" action="\/dev-idp\/login">/s);
    const page = await fetch(`${idp.issuer}/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'E1002', password: idp.password }),
    });
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await page.text()).toMatch(
      /Signed in as E1002\..*<textarea readonly[^>]*>ey[\w-]+\.[\w-]+\.[\w-]+<\/textarea>/s,
    );

    // The hub makes of it what it makes of any provider's token: a signed-in person with roles at a scope.
    const { viewer } = await graphql(hub.url, '{ viewer { name grants { role scope } } }', {}, body.access_token);
    expect(viewer).toEqual({ name: 'user:E1001', grants: [{ role: 'Operator', scope: 'acme/berlin/assembly' }] });
    const json = await signIn(hub, { grant_type: 'password', username: 'E1003', password: idp.password }, true);
    const chen = await graphql(hub.url, '{ viewer { grants { role } } }', {}, json.body.access_token);
    expect(chen.viewer.grants.map((g: any) => g.role).sort()).toEqual(['Operator', 'Supervisor']);

    // Execution needs a signed-in person: the local admin key is not one, Ana is.
    const release = await hub.gql(
      `mutation ($i: ReleaseWorkOrderInput!) { releaseWorkOrder(input: $i) { ${RESULT} ... on WorkOrder { state } } }`,
      {
        i: {
          number: 'WO-1001',
          assignments: [
            { segment: '10-stamp', equipment: 'acme/berlin/assembly/line-1/press-1', operators: ['E1001'] },
            { segment: '20-weld', equipment: 'acme/berlin/assembly/line-1/welder-1', operators: ['E1001'] },
            { segment: '30-inspect', equipment: 'acme/berlin/assembly/line-2/tester-1', operators: ['E2001'] },
          ],
        },
      },
    );
    expect(release.releaseWorkOrder.state).toBe('Released');
    const start = 'mutation { startWorkOrder(input: { number: "WO-1001" }) { __typename ... on WorkOrder { state } } }';
    expect((await graphql(hub.url, start, {}, await devIdpToken(hub, 'E1001'))).startWorkOrder.state).toBe(
      'InProgress',
    );
    const step = `mutation { startStep(number: "WO-1001") { ${RESULT} } }`;
    expect((await hub.gql(step)).startStep.message).toMatch(/executed by a signed-in person of the plant/);
    const ana = (await graphql(hub.url, step, {}, await devIdpToken(hub, 'E1001'))).startStep;
    expect(ana.message).not.toMatch(/signed-in person/);
  });

  it('signs in by the authorization code flow with PKCE (S256) only, each code once', async () => {
    const idp = hub.devIdentityProvider!;
    const verifier = 'v'.repeat(20) + Math.random().toString(36).slice(2).padEnd(30, 'x');
    const request = {
      response_type: 'code',
      client_id: 'plantgraph-console',
      redirect_uri: `${hub.url}/console`,
      state: 's-1',
      nonce: 'n-1',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    };
    const authorize = (fields: Record<string, string>) =>
      fetch(`${idp.issuer}/authorize`, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
    // Refused on the page, never sent on: no PKCE, plain PKCE, another site's redirect, an unknown client.
    for (const [change, words] of [
      [{ code_challenge: '' }, /code_challenge_method=S256/],
      [{ code_challenge_method: 'plain' }, /code_challenge_method=S256/],
      [{ redirect_uri: 'http://evil.example/console' }, /redirect_uri must be this hub&#39;s \/console/],
      [{ client_id: 'someone' }, /Unknown client_id &quot;someone&quot;/],
    ] as const) {
      const page = await fetch(`${idp.issuer}/authorize?${new URLSearchParams({ ...request, ...change })}`);
      expect(page.status).toBe(400);
      expect(await page.text()).toMatch(words);
    }
    expect(await (await fetch(`${idp.issuer}/authorize?${new URLSearchParams(request)}`)).text()).toMatch(
      /<form method="post" action="\/dev-idp\/authorize"><input type="hidden" name="response_type" value="code">/,
    );
    expect((await authorize({ ...request, username: 'E1001', password: 'wrong' })).status).toBe(400);
    const signedIn = await authorize({ ...request, username: 'E1001', password: idp.password });
    expect(signedIn.status).toBe(303);
    const back = new URL(signedIn.headers.get('location')!);
    expect([back.origin + back.pathname, back.searchParams.get('state')]).toEqual([`${hub.url}/console`, 's-1']);
    const redeem = (fields: Record<string, string>) =>
      signIn(hub, {
        grant_type: 'authorization_code',
        code: back.searchParams.get('code')!,
        client_id: request.client_id,
        redirect_uri: request.redirect_uri,
        code_verifier: verifier,
        ...fields,
      });
    const tokens = await redeem({});
    expect(tokens.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
    const id = await jwtVerify(tokens.body.id_token, jwks, { issuer: idp.issuer, audience: 'plantgraph-console' });
    expect(id.payload).toMatchObject({ sub: 'E1001', nonce: 'n-1', name: 'Ana Ruiz' });
    const { viewer } = await graphql(hub.url, '{ viewer { name } }', {}, tokens.body.access_token);
    expect(viewer.name).toBe('user:E1001');
    expect((await redeem({})).body).toMatchObject({ error: 'invalid_grant', error_description: /used or expired/ });
    // Another sign-in's code with the wrong verifier is refused, and spent.
    const again = new URL(
      (await authorize({ ...request, username: 'E1001', password: idp.password })).headers.get('location')!,
    );
    const code = again.searchParams.get('code')!;
    expect((await redeem({ code, code_verifier: 'w'.repeat(43) })).body.error_description).toMatch(/does not match/);
    expect((await redeem({ code })).body.error).toBe('invalid_grant');
  });

  it('refuses wrong passwords, unknown people, other grants and forged tokens, and changes nothing', async () => {
    const before = await tableCounts(hub);
    const { password } = hub.devIdentityProvider!;
    expect(await signIn(hub, { grant_type: 'password', username: 'E1001', password: 'not-the-password' })).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: expect.stringMatching(/^Wrong password/) },
    });
    expect((await signIn(hub, { grant_type: 'password', username: 'E9999', password })).body).toEqual({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/No active person with employee id "E9999"/),
    });
    expect((await signIn(hub, { grant_type: 'client_credentials', client_id: 'x' })).body.error).toBe(
      'unsupported_grant_type',
    );
    expect((await signIn(hub, { grant_type: 'password', username: 'E1001' })).body.error).toBe('invalid_request');

    // A token made with another key, though it claims the issuer and the key id, is refused.
    const { privateKey } = await generateKeyPair('ES256');
    const kid = ((await (await fetch(`${hub.devIdentityProvider!.issuer}/jwks`)).json()) as any).keys[0].kid;
    const forged = await new SignJWT({ roles: ['admin'], plantgraph_scopes: ['*'], auth_time: Date.now() / 1000 })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(hub.devIdentityProvider!.issuer)
      .setAudience('plantgraph-hub')
      .setSubject('E1001')
      .setExpirationTime('5m')
      .sign(privateKey);
    const refused = await graphqlRaw(hub.url, { query: '{ viewer { name } }' }, forged);
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0].message).toMatch(/access token was rejected.*signature verification failed/);
    expect(await tableCounts(hub)).toEqual(before);

    // Guessing is slowed down: ten wrong passwords a minute from one address, then 429.
    let last = 0;
    for (let i = 0; i < 12 && last !== 429; i++)
      last = (await signIn(hub, { grant_type: 'password', username: 'E1001', password: `guess-${i}` })).status;
    expect(last).toBe(429);
    expect((await signIn(hub, { grant_type: 'password', username: 'E1001', password })).status).toBe(429);
  });

  it('keeps its signing key in the database: the same key after a restart or on another replica', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plantgraph-dev-idp-'));
    const settings = mode === 'embedded' ? { dataDir } : {};
    const first = await startTestHub(mode, settings);
    const keysOf = async (h: TestHub) =>
      ((await (await fetch(`${h.devIdentityProvider!.issuer}/jwks`)).json()) as any).keys;
    try {
      const keys = await keysOf(first);
      // Embedded: the same folder opened again; PostgreSQL: a second replica on the same database.
      if (mode === 'embedded') await first.stop();
      const again = await startTestHub(mode, mode === 'embedded' ? settings : first.shared);
      try {
        expect(await keysOf(again)).toEqual(keys);
      } finally {
        await again.stop();
      }
    } finally {
      if (mode !== 'embedded') await first.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('where the development identity provider runs', () => {
  it('only without an identity provider and never in production', async () => {
    expect(configFromEnv({}).auth.devIdentityProvider).toEqual({ password: undefined });
    expect(configFromEnv({ PLANTGRAPH_DEV_IDP_PASSWORD: 'walk-the-demo' }).auth.devIdentityProvider).toEqual({
      password: 'walk-the-demo',
    });
    expect(configFromEnv({ PLANTGRAPH_DEV_IDP: 'off' }).auth.devIdentityProvider).toBeNull();
    const oidc = { PLANTGRAPH_OIDC_ISSUER: 'https://idp.example', PLANTGRAPH_OIDC_AUDIENCE: 'hub' };
    expect(configFromEnv(oidc).auth.devIdentityProvider).toBeNull();
    expect(() => configFromEnv({ ...oidc, PLANTGRAPH_DEV_IDP: 'on' })).toThrow(
      /PLANTGRAPH_DEV_IDP=on is refused with an identity provider configured/,
    );
    const production = { NODE_ENV: 'production', PLANTGRAPH_FLOWS: 'off' };
    expect(configFromEnv(production).auth.devIdentityProvider).toBeNull();
    expect(configFromEnv({ PLANTGRAPH_PRODUCTION: '1', PLANTGRAPH_FLOWS: 'off' }).auth.devIdentityProvider).toBeNull();
    expect(() => configFromEnv({ ...production, PLANTGRAPH_DEV_IDP: 'on' })).toThrow(/refused in production mode/);
    expect(() => configFromEnv({ PLANTGRAPH_DEV_IDP_PASSWORD: 'short' })).toThrow(/at least 8 characters/);
    // A configuration built by hand is refused as well, before anything starts.
    const handmade = configFromEnv({ PLANTGRAPH_FLOWS: 'off' }, { production: true, dataDir: 'memory://', port: 0 });
    expect(handmade.auth.devIdentityProvider).not.toBeNull();
    await expect(startHub(handmade, { log: () => {}, warn: () => {}, error: () => {} })).rejects.toThrow(
      /cannot run in production/,
    );
  });

  it('answers nothing when a real identity provider is configured', async () => {
    const { hub } = await startHubWithIdp({ demo: false });
    try {
      expect(hub.devIdentityProvider).toBeNull();
      expect((await fetch(`${hub.url}/dev-idp/.well-known/openid-configuration`)).status).toBe(404);
      expect((await fetch(`${hub.url}/dev-idp/token`, { method: 'POST', body: 'x' })).status).toBe(404);
    } finally {
      await hub.stop();
    }
  });
});
