import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's chromium (`apt-get install -y chromium`; .ci/run installs it), or another given here. */
export const CHROMIUM = [process.env.PLANTGRAPH_TEST_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (path) => path && existsSync(path),
);

/** Says why a browser suite is skipped where Chromium is missing. */
export function warnWithoutChromium(suite: string, what: string): void {
  if (!CHROMIUM)
    console.warn(
      `[${suite}] SKIPPED: no Chromium at /usr/bin/chromium; install it with \`apt-get install -y chromium\` ` +
        `(or set PLANTGRAPH_TEST_CHROMIUM) to test ${what} in a browser.`,
    );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/**
 * Lets the page reach only the hub (and data: and blob: URLs); anything else is aborted and noted
 * in `outside`: a plant network has no CDN.
 */
export async function onlyTheHub(page: Page, hubUrl: string, outside: string[]): Promise<void> {
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(hubUrl) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    outside.push(url);
    return route.abort();
  });
}

/**
 * Signs a person in to the plant console as a person does it: **Sign in with your plant account**,
 * then the development provider's page (OpenID Connect, authorization code with PKCE), and back.
 */
export async function signInToConsole(page: Page, employeeId: string, password: string): Promise<void> {
  await page.getByRole('button', { name: 'Sign in with your plant account' }).click();
  await page.waitForURL(/\/dev-idp\/authorize\?/);
  await page.getByLabel('Employee id').fill(employeeId);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
