import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, graphqlRaw, sleep, startTestHub, subscribe, type TestHub } from './support/harness.js';
import { TestIdentityProvider, startHubWithIdp } from './support/idp.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const PRESS = 'acme/berlin/assembly/line-1/press-2';
const FILLER = 'acme/berlin/packaging/line-3/filler-1';
const ALERT = 'id state severity occurrences escalationLevel acknowledgedBy acknowledgeComment clearedBy';
const raise = (path: string, key: string, severity = 'High', escalate = 60) =>
  `mutation { r: raiseAlert(input: { path: "${path}", deduplicationKey: "${key}", severity: ${severity}, title: "${key}", escalateAfterSeconds: ${escalate} }) { __typename ... on ErrorResult { code message } ... on Alert { ${ALERT} } } }`;

describe.each(MODES)('alerts (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0, alertEscalationCheckMs: 100 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('raises a flapping condition as one alert, counted, with one event', async () => {
    const sub = await subscribe(
      hub.url,
      'subscription { alertRaised(scope: "acme/berlin/assembly") { type path severity occurrences } }',
      undefined,
      hub.localAdminToken,
    );
    const results = await Promise.all(Array.from({ length: 50 }, () => hub.gql(raise(PRESS, 'press-2/jam'))));
    const ids = new Set(results.map((r) => r.r.id));
    expect(ids.size).toBe(1);
    const { alert } = await hub.gql(`{ alert(id: "${[...ids][0]}") { ${ALERT} } }`);
    expect(alert).toMatchObject({ state: 'Active', occurrences: 50, escalationLevel: 0 });
    await sub.waitFor((e) => e.data.alertRaised.type === 'AlertRaised');
    await sleep(300);
    expect(sub.received).toHaveLength(1);
    await sub.close();
  });

  it('escalates an unacknowledged alert once per period, and stops when acknowledged', async () => {
    const sub = await subscribe(
      hub.url,
      'subscription { alertRaised(scope: "acme", minSeverity: High) { type escalationLevel } }',
      undefined,
      hub.localAdminToken,
    );
    const { r } = await hub.gql(raise(PRESS, 'press-2/overheat', 'Critical', 1));
    await sub.waitFor((e) => e.data.alertRaised.escalationLevel === 2, 5000);
    const acked = await hub.gql(
      `mutation { r: acknowledgeAlert(id: "${r.id}", comment: "cooling fan replaced") { ... on Alert { ${ALERT} } } }`,
    );
    expect(acked.r).toMatchObject({
      state: 'Acknowledged',
      acknowledgedBy: 'api-key:local-admin',
      acknowledgeComment: 'cooling fan replaced',
    });
    const level = acked.r.escalationLevel;
    await sleep(1500);
    expect((await hub.gql(`{ alert(id: "${r.id}") { escalationLevel } }`)).alert.escalationLevel).toBe(level);
    expect(sub.received.map((e) => e.data.alertRaised.type).slice(0, 3)).toEqual([
      'AlertRaised',
      'AlertEscalated',
      'AlertEscalated',
    ]);
    await sub.close();
  });

  it('filters by severity, clears, and opens a new alert for the next raise', async () => {
    const sub = await subscribe(
      hub.url,
      'subscription { alertRaised(scope: "acme/berlin/packaging", minSeverity: High) { title severity } }',
      undefined,
      hub.localAdminToken,
    );
    await hub.gql(raise(FILLER, 'filler-1/low-glue', 'Low'));
    const { r: high } = await hub.gql(raise(FILLER, 'filler-1/no-boxes', 'High'));
    await sub.waitFor((e) => e.data.alertRaised.title === 'filler-1/no-boxes');
    await sleep(200);
    expect(sub.received.map((e) => e.data.alertRaised.title)).toEqual(['filler-1/no-boxes']);
    const cleared = await hub.gql(
      `mutation { r: clearAlert(id: "${high.id}", comment: "boxes refilled") { ... on Alert { ${ALERT} } } }`,
    );
    expect(cleared.r).toMatchObject({ state: 'Cleared', clearedBy: 'api-key:local-admin' });
    const again = await hub.gql(raise(FILLER, 'filler-1/no-boxes', 'High'));
    expect(again.r.id).not.toBe(high.id);
    const twice = await hub.gql(
      `mutation { r: clearAlert(id: "${high.id}") { __typename ... on ErrorResult { message } } }`,
    );
    expect(twice.r.message).toMatch(/already cleared/);
    const list = await hub.gql(
      '{ alerts(filter: { pathPrefix: "acme/berlin/packaging", state: [Active] }) { totalCount } }',
    );
    expect(list.alerts.totalCount).toBe(2);
    await sub.close();
  });
});

describe('alert permissions and scope', () => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  beforeAll(
    async () => ({ idp, hub } = await startHubWithIdp({ demo: true, simulatorIntervalMs: 0 })),
    HUB_START_TIMEOUT_MS,
  );
  afterAll(() => hub?.stop());

  it('lets operators acknowledge but not raise, and keeps other areas out of sight', async () => {
    const engineer = await idp.token({ roles: ['engineer@acme/berlin/assembly'] });
    const operator = await idp.token({ sub: 'E2002', roles: ['operator@acme/berlin/packaging'] });
    const raised = await graphqlRaw(hub.url, { query: raise(PRESS, 'press-2/scope') }, engineer);
    const id = raised.body.data.r.id;
    const denied = await graphqlRaw(hub.url, { query: raise(FILLER, 'filler-1/x') }, operator);
    expect(denied.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const hidden = await graphqlRaw(
      hub.url,
      { query: `mutation { r: acknowledgeAlert(id: "${id}", comment: "x") { __typename } } ` },
      operator,
    );
    expect(hidden.body.data.r.__typename).toBe('NotFound');
    expect(
      (await graphqlRaw(hub.url, { query: '{ alerts { totalCount } }' }, operator)).body.data.alerts.totalCount,
    ).toBe(0);
  });
});
