import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sapS4HanaConnector } from '@plantgraph/connector-sap-s4hana';
import { eventually } from './support/flows.js';
import {
  createTestDatabase,
  deleteNatsNamespace,
  startTestHub,
  type TestHub,
  type TestHubSettings,
  uniqueName,
} from './support/harness.js';
import { imports } from './support/sap-loop.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/** `start --demo` with the SAP connector installed: the demo's SAP orders arrive as Drafts. */
describe('the demo ERP', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub('embedded', {
      demo: true,
      simulatorIntervalMs: 0,
      demoErpPollMs: 1000,
      connectorTypes: [sapS4HanaConnector],
      connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000 },
    });
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  it('imports the SAP simulator’s orders, rejects the one with an unknown work center', async () => {
    const seen = await eventually(async () => {
      const all = await imports(hub, 'sap-demo');
      return all.length === 3 ? all : null;
    }, 30_000);
    const outcome = Object.fromEntries(seen.map((i) => [i.reference, i.outcome]));
    expect(outcome).toEqual({ '4000001': 'Created', '4000002': 'Created', '4000003': 'Rejected' });
    const { workOrder } = await hub.gql('{ workOrder(number: "4000002") { state quantity equipment { path } } }');
    expect(workOrder).toEqual({ state: 'Draft', quantity: 350, equipment: { path: 'acme/berlin/assembly/line-2' } });
    const { connector } = await hub.gql('{ connector(name: "sap-demo") { health enabled lastSuccessAt } }');
    expect(connector.enabled).toBe(true);
    expect(connector.lastSuccessAt).not.toBeNull();
  });
});

/** A demo that starts again on the same database leaves its connector as it was. */
describe('the demo ERP at the next start', () => {
  it(
    'listens on the same port, so its connector gets no new version, audit record or event',
    async () => {
      const database = await createTestDatabase();
      const namespace = uniqueName('t');
      const settings: TestHubSettings = {
        databaseUrl: database.url,
        natsNamespace: namespace,
        demo: true,
        simulatorIntervalMs: 0,
        demoErpPollMs: 60_000,
        connectorTypes: [sapS4HanaConnector],
        connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000 },
      };
      // Read once the start's first health check is stored: by then the connector runs with what the start
      // configured. Only configuration is compared; its imports and health are audited as they happen.
      const sapDemo = async (hub: TestHub, startedAt: number) => {
        const connector = await eventually(
          async () => {
            const { connector } = await hub.gql(
              '{ connector(name: "sap-demo") { settings settingsVersion health healthCheckedAt } }',
            );
            return connector.healthCheckedAt && Date.parse(connector.healthCheckedAt) >= startedAt ? connector : null;
          },
          30_000,
          "the start's first health check of sap-demo",
        );
        const [{ n }] = await hub.db.em.fork().execute<{ n: number }[]>(`select count(*)::int as n from audit_record
              where action in ('ConnectorConfigured', 'ConnectorReconfigured', 'ConnectorEnabled', 'ConnectorDisabled')`);
        const { baseUrl } = connector.settings as { baseUrl: string };
        return { baseUrl, version: connector.settingsVersion, health: connector.health, audited: n };
      };
      const startAndRead = async () => {
        const startedAt = Date.now();
        const hub = await startTestHub('postgres+nats', settings);
        return sapDemo(hub, startedAt).finally(() => hub.stop());
      };
      try {
        const before = await startAndRead();
        const after = await startAndRead();
        expect(before).toEqual({
          baseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
          version: 1,
          health: 'Healthy',
          audited: 1,
        });
        expect(after).toEqual(before);
      } finally {
        await database.drop();
        await deleteNatsNamespace(namespace);
      }
    },
    2 * HUB_START_TIMEOUT_MS,
  );
});
