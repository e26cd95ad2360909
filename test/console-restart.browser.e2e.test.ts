/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Request } from 'playwright-core';
import { CHROMIUM, launchChromium, onlyTheHub, signInToConsole, warnWithoutChromium } from './support/browser.js';
import { graphql } from './support/harness.js';
import { type HubProcess, spawnHub } from './support/process.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

warnWithoutChromium('console-restart.browser', 'the plant console across a hub restart');
const SCREENSHOTS = join(tmpdir(), 'plantgraph-console-screenshots');
const PRESS_1 = 'acme/berlin/assembly/line-1/press-1';
const PASSWORD = 'console-restart-password';

/** A port free now, for a hub that must come back on the same address (tokens name their issuer by it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * What the page did, for a failure to say: its GraphQL requests by operation, their answers (the
 * board's with press 1's state), failed requests and its console, each with the time since the start.
 */
function pageTrail(page: Page) {
  const started = Date.now();
  const lines: string[] = [];
  const add = (line: string) => lines.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${line}`);
  const operation = (request: Request) => {
    const { query } = (request.postDataJSON() ?? {}) as { query?: string };
    return /^\s*(?:query|mutation)\s+(\w+)/.exec(query ?? '')?.[1];
  };
  page.on('request', (request) => {
    if (request.url().endsWith('/graphql')) add(`→ ${operation(request) ?? request.method()}`);
  });
  page.on('requestfailed', (request) => add(`✗ ${request.url()}: ${request.failure()?.errorText}`));
  page.on('response', async (response) => {
    if (!response.url().endsWith('/graphql')) return;
    const name = operation(response.request());
    type Board = { data?: { equipmentList: { edges: { node: { path: string; state: string } }[] } } };
    const board = name === 'AndonBoard' ? ((await response.json().catch(() => ({}))) as Board) : {};
    const press = board.data?.equipmentList.edges.find((e) => e.node.path === PRESS_1)?.node.state;
    add(`← ${name ?? response.request().method()} ${response.status()}${press ? ` press-1 ${press}` : ''}`);
  });
  page.on('console', (message) => add(`console ${message.type()}: ${message.text()}`));
  return { add, lines: () => lines };
}

/**
 * A wall-screen andon left open while the hub restarts (issue 21): it says it is reconnecting, and
 * once the hub is back it subscribes again and reads the board afresh, so a change made while it
 * had no socket is shown too. The socket is held closed in the browser until that change is made,
 * so only the read after the reconnect can show it.
 */
describe.skipIf(!CHROMIUM)('the plant console across a hub restart', () => {
  let dir: string;
  let hub: HubProcess;
  let browser: Browser;
  const outside: string[] = [];
  const start = (port: number) =>
    spawnHub(
      {
        PLANTGRAPH_DATA_DIR: join(dir, 'data'),
        PORT: String(port),
        PLANTGRAPH_FLOWS: 'off',
        PLANTGRAPH_SIMULATOR_INTERVAL_MS: '0',
        PLANTGRAPH_DEV_IDP_PASSWORD: PASSWORD,
      },
      ['--demo'],
      { readyWithinMs: 90_000 },
    );

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'plantgraph-console-restart-'));
    [hub, browser] = await Promise.all([start(await freePort()), launchChromium()]);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const set = (state: string, reason: string | null) =>
    graphql(
      hub.url,
      `mutation ($p: String!, $s: EquipmentState!, $r: String) {
        setEquipmentState(input: { path: $p, state: $s, reason: $r }) { __typename }
      }`,
      { p: PRESS_1, s: state, r: reason },
      hub.token!,
    );

  // Run once more when it fails: it failed twice in about ten CI runs on the full suite (the board kept
  // press 1's old state after the reconnect) and never here; the first failure's account of what the
  // page did stays in the log, for finding the cause.
  it('shows that it reconnects, then subscribes again and reads what changed meanwhile', {
    retry: 1,
    timeout: 150_000,
  }, async () => {
    // A known state that is not Down (a second run starts where the first left press 1).
    await set('Idle', null);
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await onlyTheHub(page, hub.url, outside);
    const trail = pageTrail(page);
    let blocked = false;
    await page.routeWebSocket(/\/graphql$/, (ws) => {
      trail.add(blocked ? 'socket held closed' : 'socket to the hub');
      if (blocked) return ws.close({ code: 1012, reason: 'held closed by the test' });
      ws.connectToServer();
    });
    await page.goto(`${hub.url}/console#/andon?scope=acme/berlin`);
    await signInToConsole(page, 'E1003', PASSWORD);
    const tile = page.locator(`[data-path="${PRESS_1}"]`);
    await tile.waitFor();
    const connection = page.getByTestId('connection');
    await connection.getByText('Live').waitFor({ timeout: 10_000 });
    expect(await tile.getAttribute('data-state')).not.toBe('Down');

    blocked = true;
    const port = new URL(hub.url).port;
    await hub.stop();
    await connection.getByText('Reconnecting…').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'andon-reconnecting.png') });
    hub = await start(Number(port));
    expect((await set('Down', 'Changed during the restart')).setEquipmentState.__typename).toBe('Equipment');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await tile.getAttribute('data-state'), 'no socket yet: the board cannot know').not.toBe('Down');

    blocked = false;
    trail.add('socket no longer held closed');
    // The console's socket waits up to 10 s between attempts (it has been retrying since the stop), then
    // connects and reads: 30 s leaves 20 for those on a loaded machine.
    await expect
      .poll(() => tile.getAttribute('data-state'), { timeout: 30_000, interval: 100 })
      .toBe('Down')
      .catch(async (err: Error) => {
        // Whether the socket came back says whether the read after the reconnect is what is missing.
        await page.screenshot({ path: join(SCREENSHOTS, 'andon-after-restart.png') });
        const account =
          `${err.message}; the console's connection shows "${await connection.textContent()}"; ` +
          `what the page did:\n${trail.lines().join('\n')}`;
        console.warn(`[console-restart] ${account}`);
        throw new Error(account);
      });
    expect(await tile.textContent()).toContain('Changed during the restart');
    await connection.getByText('Live').waitFor();
    // Subscribed again: the next change arrives live.
    await set('Running', null);
    await expect.poll(() => tile.getAttribute('data-state'), { timeout: 5000, interval: 50 }).toBe('Running');
    expect(outside).toEqual([]);
    await page.close();
  });
});
