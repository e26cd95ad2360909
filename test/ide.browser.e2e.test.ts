/// <reference lib="dom" />
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
// @ts-expect-error plain ESM helper without declarations, shared with the IDE's build
import { readmeOperations } from '../hub/ide/readme-operations.mjs';
import { CHROMIUM, launchChromium, onlyTheHub, warnWithoutChromium } from './support/browser.js';
import { startTestHub, type TestHub } from './support/harness.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

warnWithoutChromium('ide.browser', 'the GraphQL IDE');
const SCREENSHOTS = join(tmpdir(), 'plantgraph-ide-screenshots');
const README = readmeOperations(readFileSync(new URL('../README.md', import.meta.url), 'utf8')) as {
  title: string;
  query: string;
}[];

/**
 * A newcomer's first minutes: open /graphql in a browser (no internet: only the hub is reachable),
 * paste the token, run the README's first query and its subscription from the saved tabs.
 */
describe.skipIf(!CHROMIUM)('the GraphQL IDE in Chromium', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  /** Requests the page made to anything but the hub: none may go out (a plant network has no CDN). */
  const outside: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [hub, browser] = await Promise.all([
      startTestHub('embedded', { demo: true, simulatorIntervalMs: 0 }),
      launchChromium(),
    ]);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await onlyTheHub(page, hub.url, outside);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('is what a browser gets at /graphql without a token; operations still need one', async () => {
    const html = await fetch(`${hub.url}/graphql`, { headers: { accept: 'text/html,*/*' } });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await html.text()).toContain('/ide/ide.js');
    const api = await fetch(`${hub.url}/graphql`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(401);
    // An operation sent by GET from a browser tab is an operation: auth first, then Apollo's CSRF check.
    const get = `${hub.url}/graphql?query=${encodeURIComponent('{ __typename }')}`;
    expect((await fetch(get, { headers: { accept: 'text/html' } })).status).toBe(401);
    const authorization = `Bearer ${hub.localAdminToken}`;
    expect((await fetch(get, { headers: { authorization } })).status).toBe(400);
    const preflighted = await fetch(get, { headers: { authorization, 'apollo-require-preflight': 'true' } });
    expect(await preflighted.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it("runs the README's first query from its saved tab, with a pasted token", async () => {
    await page.goto(`${hub.url}/graphql`);
    await expect.poll(() => page.locator('.graphiql-tab').count(), { timeout: 30_000 }).toBe(README.length);
    // Without a token the schema cannot load: the pane says how to authenticate.
    await waitForResponse(page, 'UNAUTHENTICATED');
    const before = await page.locator('.graphiql-response').screenshot({ path: join(SCREENSHOTS, 'before.png') });
    await page.fill('input[name="token"]', hub.localAdminToken!);
    await page.click('text=Use');
    expect(await editorText(page, '.graphiql-query-editor')).toContain('query AFirstQuery');
    expect(await page.locator('.graphiql-tab').first().textContent()).toContain('AFirstQuery');
    await page.click('.graphiql-execute-button');
    const result = await waitForResponse(page, '"materialLots"');
    const answer = JSON.parse(result) as { data?: any; errors?: unknown };
    expect(answer.errors).toBeUndefined();
    expect(answer.data.equipment.name).toBeTruthy();
    expect(answer.data.equipment.children.length).toBeGreaterThan(0);

    const shot = await page.screenshot({ path: join(SCREENSHOTS, 'first-query.png') });
    const pane = await page
      .locator('.graphiql-response')
      .screenshot({ path: join(SCREENSHOTS, 'first-query-pane.png') });
    expect(shot.length).toBeGreaterThan(20_000);
    // The result is drawn: a pane full of text in the editor's colours, unlike the short error before.
    const drawn = await compare(browser, pane, before);
    expect(drawn.inked).toBeGreaterThan(0.03);
    expect(drawn.colours).toBeGreaterThan(3);
    expect(drawn.changed).toBeGreaterThan(0.03);
    expect(outside).toEqual([]);
  });

  it("follows the README's subscription over graphql-ws", async () => {
    await page.locator('.graphiql-tab').nth(1).click();
    expect(await editorText(page, '.graphiql-query-editor')).toContain('equipmentStateChanged');
    await page.click('.graphiql-execute-button');
    const path = 'acme/berlin/assembly/line-1/press-1';
    // Two changes: whatever the press's state, one of them is a change the subscription announces.
    await expect
      .poll(
        async () => {
          for (const state of ['Running', 'Idle'])
            await hub.gql(`mutation { setEquipmentState(input: { path: "${path}", state: ${state} }) { __typename } }`);
          return editorText(page, '.graphiql-response');
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toContain(`"path": "${path}"`);
    await page.screenshot({ path: join(SCREENSHOTS, 'subscription.png') });
    expect(await editorText(page, '.graphiql-response')).toContain('"equipmentStateChanged"');
    expect(outside).toEqual([]);
  });

  it('signs a person in through the development identity provider', async () => {
    await page.click('text=Sign in (development)');
    await page.fill('input[name="username"]', 'E1001');
    await page.fill('input[name="password"]', hub.devIdentityProvider!.password);
    await page.click('button:text-is("Sign in")');
    await expect.poll(() => page.locator('[role="status"]').textContent()).toContain('Signed in as E1001');
    const token = await page.evaluate(() => localStorage.getItem('plantgraph.ide.token'));
    expect(token?.split('.')).toHaveLength(3); // a JWT, not the pasted API key
    await page.locator('.graphiql-tab').nth(0).click();
    await page.click('.graphiql-execute-button');
    const answer = await waitForResponse(page, '"equipment"');
    expect(answer).not.toContain('UNAUTHENTICATED');
  });
});

/** The text of a GraphiQL editor (CodeMirror 5 keeps it in its instance). */
function editorText(page: Page, selector: string): Promise<string> {
  return page.evaluate(
    (s) => (document.querySelector(`${s} .CodeMirror`) as any)?.CodeMirror?.getValue() ?? '',
    selector,
  );
}

async function waitForResponse(page: Page, containing: string): Promise<string> {
  await expect.poll(() => editorText(page, '.graphiql-response'), { timeout: 30_000 }).toContain(containing);
  return editorText(page, '.graphiql-response');
}

/**
 * Of a PNG: the share of pixels unlike its most common colour (its background) and how many colours
 * it shows; with `before`, the share of pixels that changed. Decoded by the browser, in a blank page.
 */
async function compare(browser: Browser, png: Buffer, before: Buffer) {
  const scratch = await browser.newPage();
  try {
    return await scratch.evaluate(
      async ([after, earlier]) => {
        const decode = async (data: string) => {
          const image = new Image();
          image.src = `data:image/png;base64,${data}`;
          await image.decode();
          const canvas = new OffscreenCanvas(image.width, image.height);
          const context = canvas.getContext('2d')!;
          context.drawImage(image, 0, 0);
          return context.getImageData(0, 0, image.width, image.height);
        };
        const [now, then] = [await decode(after!), await decode(earlier!)];
        const colour = (p: Uint8ClampedArray, i: number) =>
          ((p[i]! >> 4) << 8) | ((p[i + 1]! >> 4) << 4) | (p[i + 2]! >> 4);
        const counts = new Map<number, number>();
        let changed = 0;
        const sameSize = now.width === then.width && now.height === then.height;
        for (let i = 0; i < now.data.length; i += 4) {
          const c = colour(now.data, i);
          counts.set(c, (counts.get(c) ?? 0) + 1);
          if (!sameSize || c !== colour(then.data, i)) changed++;
        }
        const total = now.data.length / 4;
        return {
          inked: (total - Math.max(...counts.values())) / total,
          colours: [...counts.values()].filter((n) => n > total * 0.001).length,
          changed: changed / total,
        };
      },
      [png.toString('base64'), before.toString('base64')],
    );
  } finally {
    await scratch.close();
  }
}
