import { afterAll, describe, expect, it } from 'vitest';
import { defineConnector, request, type StreamHandle } from '@plantgraph/connector-sdk';
import { startTestHub, type TestHub } from './support/harness.js';
import { until } from './support/queue.js';

const PRESS = 'acme/berlin/assembly/line-1/press-1';

/**
 * A stand-in for a machine connection (an OPC UA subscription, an MQTT session): while open it sends
 * one good part every 50 ms through the hub's API, as the connector's own principal. The test sees
 * which hub opened it and can make opening fail or an open stream break.
 */
function tickerConnector() {
  const state = {
    opens: [] as string[],
    open: 0,
    failNextOpens: 0,
    lose: null as ((error: Error) => void) | null,
  };
  const definition = defineConnector({
    type: 'ticker',
    title: 'Ticker (test)',
    settings: { hubName: { type: 'string', description: 'which hub this runs in (the test sets it)' } },
    create: ({ hub, name }) => ({
      testConnection: async () => ({ roundTripMs: 0 }),
      streams: {
        parts: {
          description: 'one good part every 50 ms',
          open: async (lost): Promise<StreamHandle> => {
            if (state.failNextOpens > 0) {
              state.failNextOpens--;
              throw new Error('machine unreachable');
            }
            state.opens.push(name);
            state.open++;
            state.lose = lost;
            let sequence = Date.now();
            const timer = setInterval(() => {
              const signal = { kind: 'Count', path: PRESS, good: 1, source: `ticker-${name}`, sequence: sequence++ };
              void request(
                hub,
                'mutation ($s: [EquipmentSignalInput!]!) { publishSignals(signals: $s) { __typename } }',
                {
                  s: [signal],
                },
              ).catch(() => {});
            }, 50);
            return {
              close: async () => {
                clearInterval(timer);
                state.open--;
              },
            };
          },
        },
      },
    }),
  });
  return { definition, state };
}

const CONFIGURE = `mutation ($i: ConfigureConnectorInput!) {
  configureConnector(input: $i) { __typename ... on ErrorResult { message } } }`;
async function configure(hub: TestHub, name: string) {
  const grants = [{ role: 'Maintenance', scope: 'acme/berlin' }];
  const { configureConnector } = await hub.gql(CONFIGURE, {
    i: { name, type: 'ticker', scope: 'acme/berlin', settings: {}, grants, enabled: true },
  });
  expect(configureConnector).toEqual({ __typename: 'ConnectorInstance' });
}
/** Signals this hub's ingest stored so far (the ticker's parts, nothing else sends any here). */
const stored = async (hub: TestHub) =>
  (await hub.gql<{ signalIngest: { stored: number } }>('{ signalIngest { stored } }')).signalIngest.stored;

describe('connector streams', () => {
  const hubs: TestHub[] = [];
  afterAll(async () => {
    // Last started first: the first replica owns the test database and drops it when it stops.
    for (const hub of hubs.reverse()) await hub.stop();
  });

  it('opens a stream while the instance runs, reopens it after a failure, closes it when disabled', async () => {
    const { definition, state } = tickerConnector();
    const hub = await startTestHub('embedded', {
      demo: true,
      connectorTypes: [definition],
      connectors: { relayIntervalMs: 100 },
    });
    hubs.push(hub);
    state.failNextOpens = 1;
    await configure(hub, 'ticker-a');
    await until(() => state.open === 1, 'the stream opened after one failed attempt', 15_000);
    const before = await stored(hub);
    await until(async () => (await stored(hub)) >= before + 5, 'parts sent by the open stream', 15_000);
    const error = await hub.gql('{ connector(name: "ticker-a") { lastError } }');
    expect(error.connector.lastError).toBe('stream parts: cannot open: machine unreachable');

    state.lose!(new Error('session ended by the broker'));
    await until(() => state.opens.length === 2 && state.open === 1, 'the lost stream opened again', 15_000);
    const lost = await hub.gql('{ connector(name: "ticker-a") { lastError } }');
    expect(lost.connector.lastError).toBe('stream parts: lost: session ended by the broker');

    await hub.gql('mutation { setConnectorEnabled(name: "ticker-a", enabled: false) { __typename } }');
    await until(() => state.open === 0, 'the stream closed with the instance', 15_000);
    expect(state.opens).toEqual(['ticker-a', 'ticker-a']);
    const after = await stored(hub);
    await new Promise((r) => setTimeout(r, 500));
    expect(await stored(hub)).toBe(after);
  });

  it('runs each stream on the lease holder only, and on another replica when it stops', async () => {
    // Each replica gets its own copy of the connector type, so the test sees which one opened.
    const tickers = [tickerConnector(), tickerConnector()];
    const settings = { demo: true, simulatorIntervalMs: 0, connectors: { relayIntervalMs: 100 } };
    const a = await startTestHub('postgres+nats', { ...settings, connectorTypes: [tickers[0]!.definition] });
    hubs.push(a);
    const b = await startTestHub('postgres+nats', {
      ...settings,
      ...a.shared,
      demo: false,
      connectorTypes: [tickers[1]!.definition],
    });
    hubs.push(b);
    const open = () => tickers.map((t) => t.state.open);
    await configure(b, 'ticker-b'); // the second start replaced the first's local admin key
    await until(() => open()[0]! + open()[1]! === 1, 'one replica opened the stream', 15_000);
    await new Promise((r) => setTimeout(r, 1500)); // both replicas have synced the instance by now
    expect(open()[0]! + open()[1]!).toBe(1);
    const leader = open()[0] === 1 ? 0 : 1;
    await (leader === 0 ? a : b).close(); // the replica alone; the database stays for the other
    await until(() => tickers[1 - leader]!.state.open === 1, 'the other replica opened it', 30_000);
    expect(tickers[leader]!.state.open).toBe(0);
  });
});
