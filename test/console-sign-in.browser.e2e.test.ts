/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchChromium, onlyTheHub, signInToConsole, warnWithoutChromium } from './support/browser.js';
import { startTestHub, type TestHub } from './support/harness.js';
import { TestIdentityProvider } from './support/idp.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

warnWithoutChromium('console-sign-in.browser', "the console's OpenID Connect sign-in");
const SCREENSHOTS = join(tmpdir(), 'plantgraph-console-screenshots');
const SIGN_IN = 'Sign in with your plant account';
const consoleSettings = async (url: string) => {
  const html = await (await fetch(`${url}/console`)).text();
  return JSON.parse(/id="plantgraph-console">(.*?)<\/script>/s.exec(html)![1]!) as { signIn: Record<string, string> };
};

/**
 * Issue 21: the console signs in by OpenID Connect, authorization code with PKCE (S256), at the
 * provider the hub names; on `npm start` that is the development provider's sign-in page.
 */
describe.skipIf(!CHROMIUM)("the console's sign-in in Chromium (authorization code with PKCE)", () => {
  let hub: TestHub;
  let browser: Browser;
  const outside: string[] = [];
  const tab = async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await onlyTheHub(page, hub.url, outside);
    return page;
  };
  const signInAt = (page: Page, employeeId: string) =>
    signInToConsole(page, employeeId, hub.devIdentityProvider!.password);

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [hub, browser] = await Promise.all([
      startTestHub('embedded', { demo: true, simulatorIntervalMs: 0 }),
      launchChromium(),
    ]);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('signs a demo operator in at the development provider and comes back to the screen asked for', async () => {
    const page = await tab();
    await page.goto(`${hub.url}/console#/orders?scope=acme/berlin/assembly`);
    await page.getByRole('button', { name: SIGN_IN }).click();
    await page.waitForURL(/\/dev-idp\/authorize\?/);
    const asked = new URL(page.url()).searchParams;
    expect(
      Object.fromEntries(['response_type', 'client_id', 'code_challenge_method'].map((k) => [k, asked.get(k)])),
    ).toEqual({ response_type: 'code', client_id: 'plantgraph-console', code_challenge_method: 'S256' });
    expect(asked.get('redirect_uri')).toBe(`${hub.url}/console`);
    expect(asked.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    await page.getByLabel('Employee id').fill('E1001');
    await page.getByLabel('Password').fill(hub.devIdentityProvider!.password);
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in-dev-provider.png') });
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Orders · acme/berlin/assembly' }).waitFor();
    // The code left the address at once; the screen asked for is back.
    expect(page.url()).toBe(`${hub.url}/console#/orders?scope=acme/berlin/assembly`);
    // The header shows the session's name until the hub's `viewer` answers with the principal.
    await expect.poll(() => page.locator('.who').textContent(), { timeout: 10_000 }).toBe('E1001');
    const session = await page.evaluate(() => JSON.parse(localStorage.getItem('plantgraph.console.session')!));
    expect(session.name).toBe('Ana Ruiz');
    expect(session.expiresAt - Date.now()).toBeGreaterThan(500_000); // the provider's 10 minutes
    await page.screenshot({ path: join(SCREENSHOTS, 'signed-in.png') });

    // Sign-out: back to the sign-in, nothing kept.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Signed out.').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('plantgraph.console.token'))).toBeNull();
    await page.context().close();
  });

  it('is refused with a wrong code_verifier, and the code is spent', async () => {
    const page = await tab();
    let sent = '';
    // What the browser sends to the token endpoint, with another verifier than the one challenged.
    await page.route('**/dev-idp/token', async (route) => {
      sent = route.request().postData() ?? '';
      const body = new URLSearchParams(sent);
      body.set('code_verifier', 'x'.repeat(64));
      await route.continue({ postData: body.toString() });
    });
    await page.goto(`${hub.url}/console`);
    await signInAt(page, 'E1001');
    await page.getByText('Sign-in refused: The code_verifier does not match the code_challenge').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('plantgraph.console.token'))).toBeNull();
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in-refused.png') });
    // The right verifier no longer helps: a code is redeemed once, right or wrong.
    const replay = await fetch(`${hub.url}/dev-idp/token`, { method: 'POST', body: new URLSearchParams(sent) });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant');
    await page.context().close();
  });

  it('asks to sign in again when the token expires', async () => {
    const page = await tab();
    await page.goto(`${hub.url}/console#/andon?scope=acme/berlin`);
    await signInAt(page, 'E1003');
    await page.getByRole('navigation', { name: 'Screens' }).waitFor();
    // As if the 10 minutes were over: the console signs out by the expiry, before the hub refuses.
    await page.evaluate(() => {
      const session = JSON.parse(localStorage.getItem('plantgraph.console.session')!);
      localStorage.setItem('plantgraph.console.session', JSON.stringify({ ...session, expiresAt: Date.now() - 1 }));
    });
    await page.reload();
    await page.getByText('Your sign-in has expired or was refused: sign in again').waitFor();
    await signInAt(page, 'E1003');
    await page.getByRole('navigation', { name: 'Screens' }).waitFor();
    await page.context().close();
  });

  it("shows what the signed-in person's scopes hold, exactly", async () => {
    // Emil Novak operates in the packaging hall: the andon of the whole site shows him its line only.
    const page = await tab();
    await page.goto(`${hub.url}/console#/andon?scope=acme/berlin`);
    await signInAt(page, 'E2002');
    await page.locator('[data-path="acme/berlin/packaging/line-3/filler-1"]').waitFor();
    const lines = await page.locator('section.line h2').allTextContents();
    expect(lines.map((l) => l.trim())).toEqual(['Packing line 3 acme/berlin/packaging/line-3']);
    expect(await page.locator('[data-path^="acme/berlin/assembly"]').count()).toBe(0);
    await page.context().close();
    expect(outside).toEqual([]);
  });
});

describe("the console's sign-in settings with a configured identity provider", () => {
  it('names the missing client id, and lets the page reach the provider once it is set', async () => {
    const idp = await TestIdentityProvider.start();
    const hubs: TestHub[] = [];
    try {
      const start = async (oidc: object) => {
        hubs.push(await startTestHub('embedded', { auth: { enabled: true, oidc: oidc as never } }));
        return hubs.at(-1)!.url;
      };
      // The JWKS named, so neither hub reads the discovery document at start (the console's page does).
      const oidc = { ...idp.oidc, jwksUrl: `${idp.issuer}/jwks` };
      const without = await start(oidc);
      expect((await consoleSettings(without)).signIn.error).toMatch(/set PLANTGRAPH_OIDC_CONSOLE_CLIENT_ID/);
      const withClient = await start({ ...oidc, consoleClientId: 'console-spa' });
      expect((await consoleSettings(withClient)).signIn).toEqual({
        issuer: idp.issuer,
        clientId: 'console-spa',
        scopes: 'openid profile',
      });
      // The page fetches the provider's discovery and token endpoint: its CSP lets it reach that origin.
      const csp = (await fetch(`${withClient}/console`)).headers.get('content-security-policy');
      expect(csp).toContain(`connect-src 'self' ${idp.issuer};`);
    } finally {
      for (const hub of hubs) await hub.stop();
      await idp.stop();
    }
  }, 240_000); // two hubs start
});
