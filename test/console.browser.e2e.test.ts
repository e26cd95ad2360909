/// <reference lib="dom" />
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchChromium, onlyTheHub, signInToConsole, warnWithoutChromium } from './support/browser.js';
import { graphql, startTestHub, type TestHub } from './support/harness.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

warnWithoutChromium('console.browser', 'the plant console');
const SCREENSHOTS = join(tmpdir(), 'plantgraph-console-screenshots');
const PRESS_1 = 'acme/berlin/assembly/line-1/press-1';
const LINE_1 = 'acme/berlin/assembly/line-1';
const R = '__typename ... on ErrorResult { message }';

/**
 * Issue 21: the plant console in Debian's Chromium against a hub with the demo plant, no internet
 * (only the hub is reachable): andon live from state signals, an alert acknowledged off the board,
 * the OEE board equal to the `oee` query, and WO-1001's steps walked at the station with a
 * deviation and a second person's signature.
 */
describe.skipIf(!CHROMIUM)('the plant console in Chromium', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let sequence = 0;
  /** Requests the page made to anything but the hub: none may go out (a plant network has no CDN). */
  const outside: string[] = [];
  const documents = new Set<string>();
  const watchSockets = (tab: Page) =>
    tab.on('websocket', (socket) =>
      socket.on('framesent', ({ payload }) => {
        const message = JSON.parse(String(payload)) as { type: string; payload?: { query: string } };
        if (message.type === 'subscribe' && message.payload) documents.add(message.payload.query);
      }),
    );
  const token = async (employeeId: string) => {
    const response = await fetch(`${hub.url}/dev-idp/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'password',
        username: employeeId,
        password: hub.devIdentityProvider!.password,
      }),
    });
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const as = async (employeeId: string, query: string, variables?: Record<string, unknown>) =>
    graphql(hub.url, query, variables, await token(employeeId));
  const signal = (fields: Record<string, unknown>) =>
    hub.gql(`mutation ($s: [EquipmentSignalInput!]!) { publishSignals(signals: $s) { ${R} } }`, {
      s: [{ path: PRESS_1, source: 'console-test', sequence: ++sequence, at: new Date().toISOString(), ...fields }],
    });
  const signInAs = async (employeeId: string) => {
    await page.goto(`${hub.url}/console`);
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    // OpenID Connect at the development provider's sign-in page (console-sign-in.browser.e2e.test.ts).
    await signInToConsole(page, employeeId, hub.devIdentityProvider!.password);
    await page.getByRole('navigation', { name: 'Screens' }).waitFor();
  };

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [hub, browser] = await Promise.all([
      startTestHub('embedded', { demo: true, simulatorIntervalMs: 0 }),
      launchChromium(),
    ]);
    // A context of its own, so that a second tab shares the sign-in (localStorage).
    page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    await onlyTheHub(page, hub.url, outside);
    // Every operation the console sends, by HTTP or over the socket: checked against the schema at the end.
    page.context().on('request', (request) => {
      if (request.url().endsWith('/graphql') && request.method() === 'POST')
        documents.add((request.postDataJSON() as { query: string }).query);
    });
    page.context().on('page', (tab) => watchSockets(tab));
    watchSockets(page);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('is served at /console, public and under the same CSP as the IDE; operations still need a token', async () => {
    const html = await fetch(`${hub.url}/console`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await html.text()).toContain('/console/assets/console.js');
    const script = await fetch(`${hub.url}/console/assets/console.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(script.headers.get('content-encoding')).toBe('gzip');
    expect((await fetch(`${hub.url}/console/assets/nothing.js`)).status).toBe(404);
    expect((await fetch(`${hub.url}/`).then((r) => r.json())).console).toBe('/console');
  });

  it("colours a machine's andon tile by its state within 2 s of the state signal", async () => {
    await signInAs('E1003');
    // Time to interactive: a new tab of the signed-in browser, from navigation to the board's tiles.
    const fresh = await page.context().newPage();
    await onlyTheHub(fresh, hub.url, outside);
    await fresh.goto(`${hub.url}/console#/andon?scope=acme/berlin`);
    await fresh.locator(`[data-path="${PRESS_1}"]`).waitFor();
    const interactive = await fresh.evaluate(() => performance.now());
    console.log(`[console.browser] the andon board was interactive ${interactive.toFixed(0)} ms after navigation`);
    expect(interactive).toBeLessThan(5000); // 1.5 s is the target on a quiet machine (docs/benchmarks.md)
    await fresh.close();
    await page.goto(`${hub.url}/console#/andon?scope=acme/berlin`);
    const tile = page.locator(`[data-path="${PRESS_1}"]`);
    await tile.waitFor();
    await page.getByTestId('connection').getByText('Live').waitFor();
    for (const state of ['Down', 'Running']) {
      const before = await tile.evaluate((e) => getComputedStyle(e).backgroundColor);
      const sent = Date.now();
      const reason = state === 'Down' ? 'Jammed die' : null;
      expect((await signal({ kind: 'State', state, reason })).publishSignals.__typename).toBe('SignalsPublished');
      await expect.poll(() => tile.getAttribute('data-state'), { timeout: 5000, interval: 50 }).toBe(state);
      const elapsed = Date.now() - sent;
      console.log(`[console.browser] ${state}: tile changed ${elapsed} ms after the signal was sent`);
      // Colour and words both change (the state is never shown by colour alone).
      await expect.poll(() => tile.evaluate((e) => getComputedStyle(e).backgroundColor)).not.toBe(before);
      expect(elapsed).toBeLessThan(2000);
      if (reason) await expect.poll(() => tile.textContent()).toContain(reason);
      if (state === 'Down') await page.screenshot({ path: join(SCREENSHOTS, 'andon-down.png') });
    }
    await page.setViewportSize({ width: 1280, height: 800 }); // a tablet
    await page.screenshot({ path: join(SCREENSHOTS, 'andon-tablet.png') });
    await page.setViewportSize({ width: 1920, height: 1080 });
  });

  it('shows a raised alert on top, acknowledges it with a comment, and it leaves the board', async () => {
    const raised = await hub.gql(
      `mutation { raiseAlert(input: { path: "${PRESS_1}", deduplicationKey: "console-test", severity: High,
        title: "Hydraulic pressure low" }) { ${R} ... on Alert { id } } }`,
    );
    const id = raised.raiseAlert.id as string;
    const row = page.locator(`[data-alert="${id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('Hydraulic pressure low');
    await page.screenshot({ path: join(SCREENSHOTS, 'andon-alert.png') });
    // By keyboard alone, as on a wall screen with a keyboard: focus, Enter, type, Enter.
    await row.getByRole('button', { name: 'Acknowledge' }).focus();
    await page.keyboard.press('Enter');
    await row.getByLabel('Comment').focus();
    await page.keyboard.type('Maintenance called, pump checked');
    await page.keyboard.press('Enter');
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    const alert = (await hub.gql(`{ alert(id: "${id}") { state acknowledgedBy acknowledgeComment } }`)).alert;
    expect(alert).toEqual({
      state: 'Acknowledged',
      acknowledgedBy: 'user:E1003',
      acknowledgeComment: 'Maintenance called, pump checked',
    });
  });

  it("shows the `oee` query's figures for the same scope and window", async () => {
    // Some production on press 1 a minute ago, in this shift, so the figures are numbers, not blanks
    // (counts are summed by whole minutes: the current minute's are not in yet). OEE counts parts only in
    // planned time: a shift all day long, so a run inside the demo's breaks cannot hide them.
    const { calendar } = await hub.gql(
      'mutation ($i: SetShiftCalendarInput!) { calendar: setShiftCalendar(input: $i) { __typename } }',
      { i: { scope: LINE_1, timeZone: 'UTC', shifts: [{ name: 'Day', start: '00:00', end: '00:00' }] } },
    );
    expect(calendar.__typename).toBe('ShiftCalendar');
    const at = new Date(Date.now() - 60_000).toISOString();
    expect((await signal({ kind: 'Count', good: 40, scrap: 2, at })).publishSignals.__typename).toBe(
      'SignalsPublished',
    );
    await page.goto(`${hub.url}/console#/oee?scope=${LINE_1}&window=shift`);
    const figures = page.getByTestId('figures');
    await figures.waitFor({ timeout: 15_000 });
    const window = page.locator('[data-from]');
    const [from, to] = [await window.getAttribute('data-from'), await window.getAttribute('data-to')];
    const { oee } = await hub.gql(
      `query ($from: DateTimeISO!, $to: DateTimeISO!) { oee(scope: "${LINE_1}", from: $from, to: $to, groupBy: ProductionLine) {
        group oee availability performance quality mtbf mttr goodQuantity } }`,
      { from, to },
    );
    const row = oee.find((r: { group: string }) => r.group === LINE_1);
    expect(row).toBeDefined();
    for (const key of ['oee', 'availability', 'performance', 'quality', 'mtbf', 'mttr']) {
      const shown = await page.locator(`[data-figure="${key}"]`).getAttribute('data-value');
      expect(shown === '' ? null : Number(shown), key).toBe(row[key]);
    }
    expect(Number(await page.locator('[data-figure="good"]').getAttribute('data-value'))).toBe(row.goodQuantity);
    expect(row.goodQuantity).toBe(40);
    expect(row.quality).toBeCloseTo(40 / 42, 6);
    if (row.oee != null)
      expect(await page.locator('[data-figure="oee"]').textContent()).toBe(`${(row.oee * 100).toFixed(1)} %`);
    await page.screenshot({ path: join(SCREENSHOTS, 'oee.png'), fullPage: true });
    // Drill-down: the line's machines below the figures; choosing one shows that machine's board.
    await page.getByRole('link', { name: PRESS_1 }).click();
    await page.getByRole('heading', { name: `OEE · ${PRESS_1}` }).waitFor();
    await expect
      .poll(() => page.locator('[data-figure="good"]').getAttribute('data-value'), { timeout: 15_000 })
      .toBe('40');
  });

  it('lets an operator walk a step with an out-of-tolerance value, and a second person sign a critical step', async () => {
    // Released and started with the line cleared, as the supervisor does it (README's walk, steps 1–2).
    const released = await as(
      'E1003',
      `mutation ($i: ReleaseWorkOrderInput!) { releaseWorkOrder(input: $i) { ${R} } }`,
      {
        i: {
          number: 'WO-1001',
          assignments: [
            { segment: '10-stamp', equipment: PRESS_1, operators: ['E1001'] },
            { segment: '20-weld', equipment: `${LINE_1}/welder-1`, operators: ['E1001'] },
            { segment: '30-inspect', equipment: 'acme/berlin/assembly/line-2/tester-1', operators: ['E2001'] },
          ],
        },
      },
    );
    expect(released.releaseWorkOrder.__typename).toBe('WorkOrder');
    await as('E1001', `mutation { startWorkOrder(input: { number: "WO-1001" }) { ${R} } }`);
    const clearance = await as(
      'E1003',
      `mutation ($s: SignatureInput) { confirmLineClearance(number: "WO-1001", signature: $s) { ${R} } }`,
      { s: { token: await token('E1003'), meaning: 'Responsibility' } },
    );
    expect(clearance.confirmLineClearance.__typename).toBe('WorkOrder');

    await page.setViewportSize({ width: 1280, height: 800 }); // a tablet at the station
    await signInAs('E1001');
    await page.goto(`${hub.url}/console#/station?scope=acme/berlin/assembly&order=WO-1001`);
    await page.getByRole('button', { name: 'Start step' }).click();
    await page.getByText('Step started.').waitFor();
    const pressure = page.getByLabel('pressure');
    await pressure.fill('195');
    // Out of tolerance as it is typed, before anything is sent.
    await expect.poll(() => pressure.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field.out').textContent()).toContain('Out of tolerance');
    await page.screenshot({ path: join(SCREENSHOTS, 'station-out-of-tolerance.png') });
    await page.getByRole('button', { name: 'Record values' }).click();
    const deviation = page.getByTestId('deviation');
    await deviation.first().waitFor({ timeout: 10_000 });
    expect(await deviation.first().textContent()).toMatch(/pressure/i);

    // A guard's refusal in its own words: a lot not reserved for the step.
    await page.getByLabel('Lot number (scan or type)').fill('L-NOT-RESERVED');
    await page.getByLabel('Lot number (scan or type)').press('Enter');
    await page.getByTestId('refusal').waitFor();
    expect((await page.getByTestId('refusal').textContent())?.length).toBeGreaterThan(10);
    await page.getByLabel('Lot number (scan or type)').fill('L-COIL-0001');
    await page.getByLabel('Quantity').fill('210');
    await page.getByRole('button', { name: 'Consume' }).click();
    await page.getByText('Consumed from L-COIL-0001.').waitFor();
    await page.getByRole('button', { name: 'Complete step' }).click();
    await page.getByText('Step completed.').waitFor();

    // 20-weld is critical: completing it asks for a second person's signature, signed in afresh.
    await page.getByRole('button', { name: 'Start step' }).click();
    await page.getByText('Step started.').waitFor();
    await page.getByLabel('current').fill('9.6');
    await page.getByRole('button', { name: 'Record values' }).click();
    await page.getByText('Values recorded.').waitFor();
    await page.getByLabel('Lot number (scan or type)').fill('L-BOLT-0107');
    await page.getByLabel('Quantity').fill('1000');
    await page.getByRole('button', { name: 'Consume' }).click();
    await page.getByText('Consumed from L-BOLT-0107.').waitFor();
    await page.getByRole('button', { name: /Complete step/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'station-signature.png') });
    const operatorToken = await page.evaluate(() => localStorage.getItem('plantgraph.console.token'));
    // The signer signs in afresh at the provider, in a window of its own: a forced new login, PKCE, state, nonce.
    const signerWindow = async () => {
      const [popup] = await Promise.all([
        page.waitForEvent('popup'),
        dialog.getByRole('button', { name: 'Sign in as the signer' }).click(),
      ]);
      await popup.waitForURL(/\/dev-idp\/authorize\?/);
      return popup;
    };
    const signInThere = async (popup: Page, employeeId: string) => {
      await popup.getByLabel('Employee id').fill(employeeId);
      await popup.getByLabel('Password').fill(hub.devIdentityProvider!.password);
      await popup.getByRole('button', { name: 'Sign in' }).click();
    };

    // Closing the sign-in window cancels: nothing is signed, the dialog says so, the step stays open.
    const closed = await signerWindow();
    const asked = new URL(closed.url()).searchParams;
    expect(['prompt', 'max_age', 'code_challenge_method'].map((k) => asked.get(k))).toEqual(['login', '0', 'S256']);
    expect([asked.get('state'), asked.get('nonce')]).toEqual([
      expect.stringMatching(/^[\w-]{20,}$/),
      expect.any(String),
    ]);
    await closed.getByText('To sign, the signer signs in here').waitFor();
    await closed.screenshot({ path: join(SCREENSHOTS, 'station-signer-sign-in.png') });
    await closed.close();
    await dialog.getByText('The sign-in window was closed: nothing was signed.').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'station-signature-cancelled.png') });

    // A provider that answered from an older sign-in of its own (auth_time not fresh) does not sign.
    await page.route(
      '**/dev-idp/token',
      async (route) => {
        const answer = await route.fetch();
        const tokens = await answer.json();
        const [head, payload, signature] = tokens.id_token.split('.');
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
        const stale = { ...claims, auth_time: claims.auth_time - 3600 };
        const idToken = [head, Buffer.from(JSON.stringify(stale)).toString('base64url'), signature].join('.');
        await route.fulfill({ response: answer, json: { ...tokens, id_token: idToken } });
      },
      { times: 1 },
    );
    await signInThere(await signerWindow(), 'E1003');
    await dialog.getByText('The identity provider did not ask the signer to sign in again').waitFor();

    // The operator may not verify her own step: the hub's refusal is shown in its words, nothing is signed.
    await signInThere(await signerWindow(), 'E1001');
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('refusal').waitFor();
    const refused = await page.getByTestId('refusal').textContent();
    expect(refused).toMatch(/^Ana Ruiz \(E1001\) may not sign the step verification/); // no input path before it
    await page.screenshot({ path: join(SCREENSHOTS, 'station-refused.png') });
    await page.getByRole('button', { name: /Complete step/ }).click();
    await dialog.waitFor();
    const signer = await signerWindow();
    await signInThere(signer, 'E1003');
    await signer.waitForEvent('close');
    await page.getByText('Step completed.').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'station-after.png') });
    // The signer's sign-in did not replace the operator's session.
    expect(await page.evaluate(() => localStorage.getItem('plantgraph.console.token'))).toBe(operatorToken);
    expect(await page.locator('.who').textContent()).toBe('E1001');

    const { workOrder } = await hub.gql(
      `{ workOrder(number: "WO-1001") { steps { segment operator signatures { signer printedName meaning } }
        deviations { segment kind state } } }`,
    );
    expect(workOrder.steps.map((s: any) => [s.segment, s.operator, s.signatures])).toEqual([
      ['10-stamp', 'E1001', []],
      ['20-weld', 'E1001', [{ signer: 'E1003', printedName: 'Chen Li', meaning: 'Verification' }]],
    ]);
    expect(workOrder.deviations.some((d: any) => d.segment === '10-stamp' && d.state !== 'Closed')).toBe(true);

    // The andon shows the running order on its line with its progress.
    await page.goto(`${hub.url}/console#/andon?scope=acme/berlin`);
    await page.getByRole('progressbar', { name: 'WO-1001 progress' }).waitFor();
    await page.goto(`${hub.url}/console#/orders?scope=acme/berlin&order=WO-1001`);
    await page.getByText('Chen Li · Verification').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'orders.png'), fullPage: true });

    // The batch record opens as a PDF in a tab of its own (no download), rendered for this person and audited.
    const [pdfTab] = await Promise.all([
      page.context().waitForEvent('page'),
      page.getByRole('button', { name: 'Open batch record (PDF)' }).click(),
    ]);
    await expect.poll(() => pdfTab.url(), { timeout: 15_000 }).toMatch(/^blob:/);
    // The tab shows a PDF (the page's CSP keeps its own scripts from fetching blob: URLs, so asked of the tab).
    expect(await pdfTab.evaluate(() => document.contentType)).toBe('application/pdf');
    const link = page.getByTestId('batch-record');
    expect([await link.getAttribute('href'), await link.getAttribute('download')]).toEqual([pdfTab.url(), null]);
    const sha256 = await link.getAttribute('data-sha256');
    const verified = await hub.gql(
      `query ($s: String!) { verifyBatchRecord(number: "WO-1001", sha256: $s) {
        ... on BatchRecordVerification { valid renderedBy } } }`,
      { s: sha256 },
    );
    expect(verified.verifyBatchRecord).toEqual({ valid: true, renderedBy: 'user:E1001' });
    await pdfTab.screenshot({ path: join(SCREENSHOTS, 'batch-record-pdf.png') });
    await pdfTab.close();
    expect(outside).toEqual([]);
  });

  it("shows an order scheduled through GraphQL in the line's schedule within 2 s, conflicts named", async () => {
    const LINE_2 = 'acme/berlin/assembly/line-2';
    await page.setViewportSize({ width: 1920, height: 1080 });
    await signInAs('E1003');
    await page.goto(`${hub.url}/console#/orders?scope=${LINE_2}`);
    await page.getByRole('heading', { name: 'Schedule', exact: true }).waitFor();
    await page.getByTestId('connection').getByText('Live').waitFor({ timeout: 10_000 });
    // The line's own calendar, a shift all day long with no roster: whatever the hour, the order lands in
    // working time and is not short of the demo roster's night crew (it has none).
    const { calendar } = await hub.gql(
      'mutation ($i: SetShiftCalendarInput!) { calendar: setShiftCalendar(input: $i) { __typename } }',
      { i: { scope: LINE_2, timeZone: 'UTC', shifts: [{ name: 'Day', start: '00:00', end: '00:00' }] } },
    );
    expect(calendar.__typename).toBe('ShiftCalendar');
    // After WO-1001's planned window (the demo plans it 2-10 h from the start), so that no one runs beside it.
    const start = new Date(Date.now() + 12 * 3_600_000).toISOString();
    const sent = Date.now();
    const scheduled = await hub.gql(
      `mutation ($i: ScheduleWorkOrderInput!) { scheduleWorkOrder(input: $i) { ${R} ... on ScheduleEntry { unitPath }
        ... on ScheduleBlocked { problems { kind message } } } }`,
      { i: { number: 'WO-1002', start } },
    );
    expect(scheduled.scheduleWorkOrder.__typename, JSON.stringify(scheduled)).toBe('ScheduleEntry');
    await page.locator('.lane [data-entry="WO-1002"]').waitFor({ timeout: 5000 });
    const elapsed = Date.now() - sent;
    console.log(`[console.browser] WO-1002 was in the schedule view ${elapsed} ms after it was scheduled`);
    expect(elapsed).toBeLessThan(2000);
    // Its work center's dispatch list has it next, and every conflict the hub names is shown.
    const center = page.locator(`table[data-work-center="${scheduled.scheduleWorkOrder.unitPath}"]`);
    await center.getByRole('rowheader', { name: 'WO-1002' }).waitFor();
    // Planned downtime entered over it afterwards: a conflict the schedule names (read again on reload).
    const downtime = await hub.gql(
      `mutation ($i: EnterPlannedDowntimeInput!) { enterPlannedDowntime(input: $i) { ${R} } }`,
      {
        i: {
          equipment: scheduled.scheduleWorkOrder.unitPath,
          start,
          end: new Date(Date.parse(start) + 1_800_000).toISOString(),
          reason: 'Hydraulics overhaul',
        },
      },
    );
    expect(downtime.enterPlannedDowntime.__typename).toBe('PlannedDowntime');
    await page.reload();
    await page.getByTestId('conflicts').waitFor({ timeout: 10_000 });
    const { schedule } = await hub.gql(
      `query ($f: DateTimeISO!, $t: DateTimeISO!) { schedule(scope: "${LINE_2}", from: $f, to: $t) {
        entry { orderNumber } problems { kind message } } }`,
      { f: new Date().toISOString(), t: new Date(Date.now() + 86_400_000).toISOString() },
    );
    const problems = schedule.find((s: any) => s.entry.orderNumber === 'WO-1002').problems as {
      kind: string;
      message: string;
    }[];
    expect(problems.map((p) => p.kind)).toContain('EquipmentDowntime');
    const shown = await page.getByTestId('conflicts').textContent();
    for (const problem of problems) expect(shown).toContain(problem.message);
    expect(await page.locator('.lane [data-entry="WO-1002"]').getAttribute('class')).toContain('conflict');
    await page.screenshot({ path: join(SCREENSHOTS, 'orders-schedule.png'), fullPage: true });
  });

  it('keeps a wall screen on with an API key, and asks to sign in again once the key is revoked', async () => {
    const created = await hub.gql(
      `mutation { createApiKey(input: { name: "andon-wall", grants: [{ role: Supervisor, scope: "acme/berlin" }] }) {
        ${R} ... on CreatedApiKey { secret apiKey { id } } } }`,
    );
    const wall = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    await onlyTheHub(wall, hub.url, outside);
    await wall.goto(`${hub.url}/console#/andon?scope=acme/berlin`);
    await wall.getByLabel('or a token or API key').fill(created.createApiKey.secret);
    await wall.getByRole('button', { name: 'Use token' }).click();
    await wall.locator(`[data-path="${PRESS_1}"]`).waitFor();
    await wall.getByTestId('connection').getByText('Live').waitFor({ timeout: 10_000 });
    await hub.gql(`mutation { revokeApiKey(id: "${created.createApiKey.apiKey.id}") { __typename } }`);
    // The hub closes the key's socket (4403): the board does not stay up, silently stale.
    await wall.getByText('Your sign-in has expired or was refused').waitFor({ timeout: 10_000 });
    await wall.screenshot({ path: join(SCREENSHOTS, 'sign-in-again.png') });
    await wall.context().close();
  });

  it('sent only operations valid against schema/schema.graphql (typed from it at build time, console/codegen.mjs)', () => {
    const schema = buildSchema(readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8'));
    expect(documents.size).toBeGreaterThan(15);
    for (const document of documents)
      expect(
        validate(schema, parse(document)).map((e) => e.message),
        document,
      ).toEqual([]);
  });
});
