import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus, Subjects } from '@plantgraph/hub';
import {
  TEST_NATS_URL,
  createTestDatabase,
  deleteNatsNamespace,
  graphql,
  graphqlRaw,
  sleep,
  subscribe,
  uniqueName,
} from './support/harness.js';
import { createApiKeyWithCli, spawnHub, type HubProcess } from './support/process.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const STATE_CHANGED =
  'subscription ($scope: String!) { equipmentStateChanged(scope: $scope) { path state reason source sequence } }';

/** Two hub processes on one PostgreSQL and one NATS: any replica serves any subscriber. */
describe('two hub replicas on PostgreSQL and NATS', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const namespace = uniqueName('r');
  let a: HubProcess;
  let b: HubProcess;
  let token: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      DATABASE_URL: database.url,
      NATS_URL: TEST_NATS_URL,
      PLANTGRAPH_NATS_NAMESPACE: namespace,
      PLANTGRAPH_SIMULATOR_INTERVAL_MS: '0',
    };
    // Replicas share one database, so they share a key made the production way, with the CLI.
    token = await createApiKeyWithCli(env, 'replica-test');
    a = await spawnHub(env, ['--demo']);
    b = await spawnHub(env);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    await deleteNatsNamespace(namespace);
  });

  it('delivers a change made through replica A to a subscriber on replica B', async () => {
    expect(a.url).not.toBe(b.url);
    const onB = await subscribe(b.url, STATE_CHANGED, { scope: 'acme/berlin' }, token);
    const { r } = await graphql(
      a.url,
      'mutation { r: setEquipmentState(input: { path: "acme/berlin/assembly/line-2/tester-1", state: Maintenance }) { __typename } }',
      undefined,
      token,
    );
    expect(r.__typename).toBe('Equipment');
    const event = await onB.waitFor(
      (e) => e.data.equipmentStateChanged.path === 'acme/berlin/assembly/line-2/tester-1',
    );
    expect(event.data.equipmentStateChanged).toEqual({
      path: 'acme/berlin/assembly/line-2/tester-1',
      state: 'Maintenance',
      reason: null,
      source: 'api:api-key:replica-test',
      sequence: null,
    });
    await onB.close();
  });

  it('closes the sockets of a key revoked through replica A on replica B within a second (4403)', async () => {
    const { createApiKey } = await graphql(
      a.url,
      'mutation { createApiKey(input: { name: "revoked-on-a", grants: [{ role: Operator, scope: "acme/berlin" }] }) { ... on CreatedApiKey { secret apiKey { id } } } }',
      undefined,
      token,
    );
    const onB = await subscribe(b.url, STATE_CHANGED, { scope: 'acme/berlin' }, createApiKey.secret);
    const bystander = await subscribe(b.url, STATE_CHANGED, { scope: 'acme/berlin' }, token);
    const viewer = { query: '{ viewer { name } }' };
    expect((await graphqlRaw(b.url, viewer, createApiKey.secret)).status).toBe(200); // B now holds it as verified
    await graphql(a.url, `mutation { revokeApiKey(id: "${createApiKey.apiKey.id}") { __typename } }`, undefined, token);
    const deadline = Date.now() + 1000;
    while (!onB.closed() && Date.now() < deadline) await sleep(25);
    expect(onB.closed()).toMatchObject({ code: 4403 });
    // B forgot the key when the revocation reached it, not when its verified-key cache ran out.
    expect((await graphqlRaw(b.url, viewer, createApiKey.secret)).status).toBe(401);
    expect(bystander.closed()).toBeNull();
    await Promise.all([onB.close(), bystander.close()]);
  });

  it('consumes signals published by equipment once across both replicas, and both serve the result', async () => {
    const onA = await subscribe(a.url, STATE_CHANGED, { scope: 'acme/berlin/packaging' }, token);
    const onB = await subscribe(b.url, STATE_CHANGED, { scope: 'acme' }, token);
    const equipment = await NatsBus.connect(TEST_NATS_URL, new Subjects(namespace), 'test-plc');
    const machines = ['filler-1', 'labeler-1', 'inspector-1', 'wrapper-1', 'palletizer-1'];
    let sequence = 0;
    const start = Date.now();
    for (let round = 0; round < 10; round++) {
      for (const m of machines) {
        sequence++;
        const body = {
          state: round % 2 ? 'Running' : 'Idle',
          source: 'gateway-3',
          sequence,
          at: new Date(start + sequence).toISOString(),
        };
        await equipment.publishSignal(
          equipment.subjects.equipmentSignal('state', `acme/berlin/packaging/line-3/${m}`),
          Buffer.from(JSON.stringify(body)),
          `gateway-3:${sequence}`,
        );
      }
    }
    await equipment.close();
    // Each signal is stored exactly once, whichever replica took it; the latest report wins.
    const deadline = Date.now() + 20_000;
    let nodes: { state: string; stateHistory: { totalCount: number } }[] = [];
    do {
      await sleep(300);
      nodes = (
        await graphql(
          b.url,
          `{ equipmentList(filter: { pathPrefix: "acme/berlin/packaging/line-3", level: [WorkCell] }) {
        edges { node { state stateHistory { totalCount } } } } }`,
          undefined,
          token,
        )
      ).equipmentList.edges.map((e: any) => e.node);
    } while (Date.now() < deadline && nodes.some((n) => n.stateHistory.totalCount < 10));
    expect(nodes.map((n) => [n.state, n.stateHistory.totalCount])).toEqual(machines.map(() => ['Running', 10]));
    // Both replicas' subscribers see the same changes, each once (allow the last ones to arrive).
    for (let settled = 0, last = -1; settled < 3 && Date.now() < deadline + 5000; await sleep(200)) {
      const count = onA.received.length + onB.received.length;
      settled = count === last && onA.received.length === onB.received.length ? settled + 1 : 0;
      last = count;
    }
    const key = (e: any) => `${e.data.equipmentStateChanged.path}#${e.data.equipmentStateChanged.sequence}`;
    expect(onA.received.length).toBeGreaterThanOrEqual(5);
    expect(onA.received.map(key).sort()).toEqual(onB.received.map(key).sort());
    expect(new Set(onB.received.map(key)).size).toBe(onB.received.length);
    await Promise.all([onA.close(), onB.close()]);
  });

  it('stores every signal of publishSignals calls cut by a replica kill once, after they are sent again', async () => {
    const c = await spawnHub(env);
    const path = 'acme/berlin/assembly/line-1/welder-1';
    const calls = 10;
    const per = 500;
    const call = (n: number) => ({
      query: 'mutation ($s: [EquipmentSignalInput!]!) { publishSignals(signals: $s) { __typename } }',
      variables: {
        s: Array.from({ length: per }, (_, i) => ({
          kind: 'Value',
          path,
          source: 'kill-test',
          sequence: n * per + i + 1,
          name: 'current',
          value: i,
          unit: 'A',
        })),
      },
    });
    let resent = 0;
    for (let n = 0; n < calls; n++) {
      const sending = graphqlRaw(n < 4 ? c.url : b.url, call(n), token).catch(() => null);
      // The kill lands while call 3's signals are being published (its batch half acknowledged, or not).
      if (n === 3) await sleep(40).then(() => c.kill());
      const answer = await sending;
      if (answer?.body?.data?.publishSignals?.__typename === 'SignalsPublished') continue;
      resent++; // no answer: the sender cannot know what was stored, so it sends the whole call again
      const again = await graphqlRaw(b.url, call(n), token);
      expect(again.body.data.publishSignals.__typename).toBe('SignalsPublished');
    }
    expect(resent).toBeGreaterThan(0);
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const stored = async () =>
        (
          await db.query<{ n: string; distinct: string }>(
            `select count(*) as n, count(distinct sequence) as distinct from process_value where source = 'kill-test'`,
          )
        ).rows[0]!;
      const deadline = Date.now() + 60_000;
      while (Number((await stored()).n) < calls * per && Date.now() < deadline) await sleep(500);
      await sleep(1000); // nothing more comes after
      expect(await stored()).toEqual({ n: String(calls * per), distinct: String(calls * per) });
    } finally {
      await db.end();
    }
  }, 180_000);

  it('loses no acked signal when a replica is killed mid-stream', async () => {
    const equipment = await NatsBus.connect(TEST_NATS_URL, new Subjects(namespace), 'test-plc');
    const path = 'acme/berlin/assembly/line-1/robot-1';
    const total = 400;
    const start = Date.now();
    const publishing = (async () => {
      for (let i = 1; i <= total; i++) {
        const body = {
          state: i % 2 ? 'Running' : 'Idle',
          source: 'plc-robot',
          sequence: i,
          at: new Date(start + i).toISOString(),
        };
        await equipment.publishSignal(
          equipment.subjects.equipmentSignal('state', path),
          Buffer.from(JSON.stringify(body)),
          `plc-robot:${i}`,
        );
        if (i === 100) await a.kill();
      }
    })();
    await publishing;
    await equipment.close();
    const deadline = Date.now() + 45_000;
    let count = 0;
    while (Date.now() < deadline) {
      count = (await graphql(b.url, `{ equipment(path: "${path}") { stateHistory { totalCount } } }`, undefined, token))
        .equipment.stateHistory.totalCount;
      if (count >= total) break;
      await sleep(500);
    }
    expect(count).toBe(total);
    const latest = await graphql(b.url, `{ equipment(path: "${path}") { state } }`, undefined, token);
    expect(latest.equipment.state).toBe('Idle'); // signal 400, the latest
  });
});
