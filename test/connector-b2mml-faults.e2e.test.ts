import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { children, parseDocument, text } from '@plantgraph/connector-b2mml';
import { eventually } from './support/flows.js';
import { deleteNatsNamespace, graphql, type TestHub, uniqueName } from './support/harness.js';
import { TestIdentityProvider } from './support/idp.js';
import { createApiKeyWithCli, demoDatabaseForKills, type HubProcess, spawnHub } from './support/process.js';
import { actAs, demoPeople, executeToReview, R } from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const SCHEDULE = new URL('./fixtures/b2mml/operations-schedule.xml', import.meta.url);

/**
 * The hub as its own process on PostgreSQL and NATS (loading the B2MML connector by default, as users
 * run it), killed with SIGKILL after a schedule's orders are committed but before the document left the
 * inbox, and while a completed order's OperationsPerformance waits for its outbox: after the restart
 * every order exists once (the document imported again answers Unchanged) and there is one performance.
 */
describe('the B2MML connector with the hub killed and restarted', () => {
  let database: Awaited<ReturnType<typeof demoDatabaseForKills>>['database'];
  const namespace = uniqueName('b2f');
  let env: Record<string, string>;
  let idp: TestIdentityProvider;
  let child: HubProcess;
  let token: string;
  let root: string;
  const inbox = () => join(root, 'in');
  const outbox = () => join(root, 'out');
  const gql = (query: string, variables?: Record<string, unknown>) => graphql(child.url, query, variables, token);
  const restart = async () => {
    child = await spawnHub(env);
  };
  const ordersNumbered = async (prefix: string) =>
    (await gql(`{ workOrders(first: 500) { edges { node { number state } } } }`)).workOrders.edges
      .map((e: { node: { number: string; state: string } }) => e.node)
      .filter((o: { number: string }) => o.number.startsWith(prefix));
  const codes = (doc: string) =>
    children(children(children(parseDocument(doc).node, 'DataArea')[0], 'Acknowledge')[0], 'ResponseCriteria').map(
      (c) => text(children(c, 'ChangeStatus')[0], 'Code'),
    );

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'plantgraph-b2mml-faults-'));
    for (const dir of [inbox(), outbox()]) await mkdir(dir);
    idp = await TestIdentityProvider.start();
    // The demo's people sign in at the test identity provider to execute an order (signatures included).
    ({ database, env } = await demoDatabaseForKills(namespace, 'b2mml-faults-test-secret', {
      PLANTGRAPH_OIDC_ISSUER: idp.issuer,
      PLANTGRAPH_OIDC_AUDIENCE: TestIdentityProvider.audience,
    }));
    token = await createApiKeyWithCli(env, 'b2mml-faults');
    await restart();
    const { configureConnector } = await gql(
      `mutation ($i: ConfigureConnectorInput!) { configureConnector(input: $i) { ${R}
        ... on ConnectorInstance { name } } }`,
      {
        i: {
          name: 'erp-b2mml',
          type: 'b2mml',
          scope: 'acme',
          settings: { inboxDir: inbox(), outboxDir: outbox(), pollIntervalMs: 300 },
          grants: [{ role: 'Integrator', scope: 'acme' }],
          enabled: true,
        },
      },
    );
    expect(configureConnector).toEqual({ __typename: 'ConnectorInstance', name: 'erp-b2mml' });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await child?.kill();
    await idp?.stop();
    await database?.drop();
    await deleteNatsNamespace(namespace);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('killed after a schedule was imported but before it left the inbox: each order once', async () => {
    // A file where the archive folder goes: the move to processed/ fails after the import, every time,
    // so the hub is killed with the orders committed and the document still in the inbox.
    await writeFile(join(inbox(), 'processed'), 'not a folder');
    await writeFile(join(root, 'week-49.xml'), await readFile(SCHEDULE, 'utf8'));
    await rename(join(root, 'week-49.xml'), join(inbox(), 'week-49.xml'));
    await eventually(async () => (await ordersNumbered('B2-WO-')).length === 2, 30_000, 'the orders imported');
    await eventually(async () => (await readdir(outbox())).includes('week-49.answer.xml'), 30_000, 'the first answer');
    await child.kill();
    expect(await readdir(inbox())).toContain('week-49.xml');
    await rm(join(inbox(), 'processed'));
    await rm(join(outbox(), 'week-49.answer.xml'));

    await restart();
    await eventually(
      async () => (await readdir(inbox())).includes('processed'),
      60_000,
      'the document moved to processed/',
    );
    expect(await readdir(join(inbox(), 'processed'))).toEqual(['week-49.xml']);
    expect(await readdir(inbox())).not.toContain('week-49.xml');
    const ack = await readFile(join(outbox(), 'week-49.answer.xml'), 'utf8');
    expect(codes(ack)).toEqual(['Unchanged', 'Unchanged', 'Rejected']);
    const orders = await ordersNumbered('B2-WO-');
    expect(orders.map((o: { number: string }) => o.number).sort()).toEqual(['B2-WO-1001', 'B2-WO-1002']);
    expect(new Set(orders.map((o: { state: string }) => o.state))).toEqual(new Set(['Draft']));
  }, 180_000);

  it('killed while a completed order waits for its outbox: one OperationsPerformance', async () => {
    const people = demoPeople(idp);
    const as = actAs(
      {
        get url() {
          return child.url;
        },
      } as TestHub,
      people,
    );
    const delivery = async () =>
      (
        await gql(`{ connectorDeliveries(connector: "erp-b2mml", first: 20) { edges { node {
          eventType eventKey state lastError externalReference reconciled } } } }`)
      ).connectorDeliveries.edges
        .map((e: { node: Record<string, any> }) => e.node)
        .find((d: Record<string, any>) => d.eventType === 'WorkOrderCompleted' && d.eventKey === 'B2-WO-1001');
    // The outbox gone (an unmounted share): the completion is committed, its file cannot be written.
    await rename(outbox(), `${outbox()}-away`);
    await executeToReview(as, people, 'B2-WO-1001', { lotNumber: 'L-B2MML-KILL-1001', quantity: 25 });
    await eventually(async () => (await delivery())?.lastError?.includes('ENOENT'), 30_000, 'a failed attempt');
    expect((await delivery()).state).not.toBe('Delivered');
    await child.kill();
    await rename(`${outbox()}-away`, outbox());

    await restart();
    await eventually(async () => (await delivery())?.state === 'Delivered', 60_000, 'delivered after the restart');
    const performances = (await readdir(outbox())).filter((f) => f.startsWith('OperationsPerformance-'));
    expect(performances).toEqual([(await delivery()).externalReference]);
    expect(performances[0]).toContain('B2-WO-1001');

    // Killed after the file was written but before Delivered was committed: the ledger row put back as
    // the kill would leave it (cut off mid-attempt), with a job id of its own (the one that ran is kept
    // as completed, and the queue adds no job twice). The next attempt finds the file and writes none.
    await child.kill();
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const { rowCount } = await db.query(
        `update connector_delivery set state = 'Delivering', external_reference = null, delivered_at = null,
          replays = replays + 1, updated_at = now() - interval '1 minute'
          where event_type = 'WorkOrderCompleted' and event_key = $1`,
        ['B2-WO-1001'],
      );
      expect(rowCount).toBe(1);
    } finally {
      await db.end();
    }
    await restart();
    await eventually(async () => (await delivery())?.state === 'Delivered', 60_000, 'delivered again');
    expect(await delivery()).toMatchObject({ externalReference: performances[0], reconciled: true });
    expect((await readdir(outbox())).filter((f) => f.startsWith('OperationsPerformance-'))).toEqual(performances);
  }, 240_000);
});
