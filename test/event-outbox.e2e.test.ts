import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, sleep, startTestHub, subscribe, type TestHub } from './support/harness.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const PRESS_1 = 'acme/berlin/assembly/line-1/press-1';
const EVENTS = `subscription ($scope: String!, $types: [String!], $after: String) {
  hubEvents(scope: $scope, types: $types, after: $after) { type path cursor data } }`;
const STATE_CHANGED = `subscription ($after: String) {
  equipmentStateChanged(scope: "acme/berlin/assembly", after: $after) { path state reason cursor } }`;

const setState = (hub: TestHub, reason: string, state = 'Down') =>
  hub.gql(
    `mutation ($p: String!, $s: EquipmentState!, $r: String) {
    setEquipmentState(input: { path: $p, state: $s, reason: $r }) { __typename } }`,
    {
      p: PRESS_1,
      s: state,
      r: state === 'Down' ? reason : null,
    },
  );

const outboxRows = async (hub: TestHub) =>
  Number((await hub.db.em.fork().execute<{ n: string }[]>('select count(*) as n from event_outbox'))[0]!.n);

const unsequenced = async (hub: TestHub) =>
  Number(
    (await hub.db.em.fork().execute<{ n: string }[]>('select count(*) as n from event_outbox where seq is null'))[0]!.n,
  );

describe.each(MODES)('events through the outbox, with cursors (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('gives a resuming subscriber what it missed, once and in order, then live events', async () => {
    const first = await subscribe(hub.url, STATE_CHANGED, {}, hub.localAdminToken);
    for (const r of ['R1', 'R2', 'R3']) await setState(hub, r);
    await first.waitFor((e) => e.data.equipmentStateChanged.reason === 'R3');
    const seen = first.received.map((e) => e.data.equipmentStateChanged);
    expect(seen.map((e: any) => e.reason)).toEqual(['R1', 'R2', 'R3']);
    await first.close();

    for (const r of ['M1', 'M2', 'M3', 'M4', 'M5']) await setState(hub, r);
    const resumed = await subscribe(hub.url, STATE_CHANGED, { after: seen[2].cursor }, hub.localAdminToken);
    await resumed.waitFor((e) => e.data.equipmentStateChanged.reason === 'M5');
    await setState(hub, 'L1');
    await resumed.waitFor((e) => e.data.equipmentStateChanged.reason === 'L1');
    await sleep(300);
    const again = resumed.received.map((e) => e.data.equipmentStateChanged.reason);
    expect(again).toEqual(['M1', 'M2', 'M3', 'M4', 'M5', 'L1']);
    await resumed.close();
  });

  it('writes events in the transaction of their change: a refused mutation leaves none', async () => {
    const before = await outboxRows(hub);
    const { r } = await hub.gql(`mutation { r: setEquipmentState(input: { path: "${PRESS_1}", state: Down }) {
      __typename } }`); // Down needs a reason: refused
    expect(r.__typename).toBe('InvalidInput');
    expect(await outboxRows(hub)).toBe(before);
    await setState(hub, 'OK1');
    expect(await outboxRows(hub)).toBe(before + 1);
  });

  it('resumes hubEvents across types, and says clearly when a cursor is bad or too old', async () => {
    const live = await subscribe(
      hub.url,
      EVENTS,
      { scope: 'acme', types: ['EquipmentStateChanged'] },
      hub.localAdminToken,
    );
    await setState(hub, 'H1');
    const h1 = await live.waitFor((e) => JSON.parse(e.data.hubEvents.data).reason === 'H1');
    await live.close();
    await setState(hub, 'H2');
    const resumed = await subscribe(
      hub.url,
      EVENTS,
      { scope: 'acme', types: ['EquipmentStateChanged'], after: h1.data.hubEvents.cursor },
      hub.localAdminToken,
    );
    const h2 = await resumed.waitFor((e) => JSON.parse(e.data.hubEvents.data).reason === 'H2');
    expect(resumed.received.indexOf(h2)).toBe(0);
    await resumed.close();

    const bad = await subscribe(hub.url, EVENTS, { scope: 'acme', after: 'not-a-cursor' }, hub.localAdminToken);
    await expect(bad.waitFor(() => false, 3000)).rejects.toThrow(/BAD_USER_INPUT|not an event cursor/);
    await bad.close();

    // Events older than the retention are pruned; a cursor before them cannot be served.
    await setState(hub, 'H3');
    for (let i = 0; i < 50 && (await unsequenced(hub)) > 0; i++) await sleep(100); // the relay numbers it after the commit
    await hub.db.em.fork().execute(`delete from event_outbox where seq <= (select max(seq) - 1 from event_outbox)`);
    const old = await subscribe(
      hub.url,
      EVENTS,
      { scope: 'acme', after: h1.data.hubEvents.cursor },
      hub.localAdminToken,
    );
    const failure = await old.waitFor(() => false, 3000).catch((err: Error) => err.message);
    expect(failure).toMatch(/CURSOR_EXPIRED/);
    expect(failure).toMatch(/oldestCursor/);
    await old.close();
  });
});
