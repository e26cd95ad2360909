import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, graphqlRaw, MODES, sleep, startTestHub, type TestHub } from './support/harness.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const LINE_1 = 'acme/berlin/assembly/line-1';
const PRESS_1 = `${LINE_1}/press-1`;
const PACKAGING = 'acme/berlin/packaging';
const LOG = `query ($scope: String!, $types: [String!], $after: String, $first: Int!) {
  hubEventLog(scope: $scope, types: $types, after: $after, first: $first) { events { type path data cursor } endCursor hasMore } }`;
const RAISE = `mutation ($path: String!, $key: String!) {
  raiseAlert(input: { path: $path, deduplicationKey: $key, severity: High, title: "Jam" }) { ... on Alert { id } } }`;

// The event log is `hubEvents`' replay by plain request: what n8n's polling trigger reads (ADR "n8n trigger").
describe.each(MODES)('hubEventLog (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });
  const log = async (variables: Record<string, unknown>, token?: string) =>
    (await graphql(hub.url, LOG, { first: 100, ...variables }, token ?? hub.localAdminToken!)).hubEventLog;
  // Events get their sequence number just after commit (on PostgreSQL by the relay): read until they are there.
  const logUntil = async (variables: Record<string, unknown>, count: number, token?: string) => {
    for (let i = 0; i < 50; i++) {
      const page = await log(variables, token);
      if (page.events.length >= count) return page;
      await sleep(100);
    }
    return log(variables, token);
  };
  const raise = async (path: string, key: string) => (await hub.gql(RAISE, { path, key })).raiseAlert.id as string;

  it('starts at the current position, then reads each event after a cursor once, in scope and of the types', async () => {
    const start = await log({ scope: LINE_1 });
    expect(start).toMatchObject({ events: [], hasMore: false });
    const first = await raise(PRESS_1, 'log-1');
    await raise(`${PACKAGING}/line-3`, 'log-2'); // another scope
    await hub.gql(`mutation ($id: ID!) { acknowledgeAlert(id: $id, comment: "on it") { __typename } }`, { id: first });
    const page = await logUntil(
      { scope: LINE_1, types: ['AlertRaised', 'AlertAcknowledged'], after: start.endCursor },
      2,
    );
    expect(page.events.map((e: any) => [e.type, e.path, JSON.parse(e.data).id])).toEqual([
      ['AlertRaised', PRESS_1, first],
      ['AlertAcknowledged', PRESS_1, first],
    ]);
    expect(page.events[1].cursor).toBe(page.endCursor);
    expect(await log({ scope: LINE_1, after: page.endCursor })).toMatchObject({ events: [], hasMore: false });
    // The same events as a resuming subscription would replay, from any earlier cursor.
    const again = await log({ scope: LINE_1, types: ['AlertAcknowledged'], after: start.endCursor });
    expect(again.events.map((e: any) => e.cursor)).toEqual([page.events[1].cursor]);
  });

  it('pages with `first` and moves past events that did not match', async () => {
    const start = await log({ scope: '*' });
    await raise(PRESS_1, 'log-3');
    await raise(PRESS_1, 'log-4');
    await logUntil({ scope: LINE_1, types: ['AlertRaised'], after: start.endCursor }, 2);
    const one = await log({ scope: LINE_1, types: ['AlertRaised'], after: start.endCursor, first: 1 });
    expect(one.events).toHaveLength(1);
    expect(one.hasMore).toBe(true);
    const two = await log({ scope: LINE_1, types: ['AlertRaised'], after: one.endCursor, first: 1 });
    expect(two.events.map((e: any) => JSON.parse(e.data).title)).toEqual(['Jam']);
    expect(two.events[0].cursor).not.toBe(one.events[0].cursor);
    await raise(`${PACKAGING}/line-3`, 'log-5');
    await logUntil({ scope: '*', types: ['AlertRaised'], after: two.endCursor }, 1);
    const none = await log({ scope: LINE_1, after: two.endCursor });
    expect(none.events).toEqual([]);
    expect(none.endCursor).not.toBe(two.endCursor); // the other scope's event was looked at, and passed
  });

  it('shows a key only the events within its grants, whatever scope it asks for', async () => {
    const created = await hub.gql(`mutation { createApiKey(input: { name: "n8n-packaging",
      grants: [{ role: Operator, scope: "${PACKAGING}" }] }) { ... on CreatedApiKey { secret } } }`);
    const secret = created.createApiKey.secret as string;
    const start = await log({ scope: '*' }, secret);
    await raise(PRESS_1, 'log-6');
    await raise(`${PACKAGING}/line-3`, 'log-7');
    await logUntil({ scope: '*', types: ['AlertRaised'], after: start.endCursor }, 2);
    const page = await log({ scope: '*', types: ['AlertRaised'], after: start.endCursor }, secret);
    expect(page.events.map((e: any) => e.path)).toEqual([`${PACKAGING}/line-3`]);
  });

  it('refuses a cursor that is not one and a page size out of range', async () => {
    const bad = await graphqlRaw(
      hub.url,
      { query: LOG, variables: { scope: '*', after: 'nope', first: 10 } },
      hub.localAdminToken!,
    );
    expect(bad.body.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    const big = await graphqlRaw(hub.url, { query: LOG, variables: { scope: '*', first: 501 } }, hub.localAdminToken!);
    expect(big.body.errors[0].message).toMatch(/1 to 500/);
    const beyond = Buffer.from('ev:999999999').toString('base64url');
    const expired = await graphqlRaw(
      hub.url,
      { query: LOG, variables: { scope: '*', after: beyond, first: 10 } },
      hub.localAdminToken!,
    );
    expect(expired.body.errors[0]).toMatchObject({ extensions: { code: 'CURSOR_EXPIRED' } });
  });
});
