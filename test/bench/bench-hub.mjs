// A hub in the benchmark's process for the connector and scheduling benchmarks: the demo plant
// without its simulator or ERP, flows off, the rate limits out of the way, and `connector` (if any) loaded;
// `gql` runs an operation as the local admin and throws on errors; `stop` closes it and drops its
// database.
import { benchBacking } from './bench-backing.mjs';
import { configFromEnv, startHub } from '@plantgraph/hub';
import { demoConfigFromEnv, demoExtension } from '@plantgraph/demo';

export async function startConnectorBenchHub(mode, connector, connectorSettings = {}) {
  const { shared, drop } = await benchBacking(mode);
  const config = configFromEnv(
    {
      PLANTGRAPH_FLOWS: 'off',
      PLANTGRAPH_LOG_SQL: '0',
      PLANTGRAPH_RATE_LIMIT_PER_SECOND: '100000',
      PLANTGRAPH_RATE_LIMIT_BURST: '100000',
    },
    { port: 0, dataDir: 'memory://', demo: true, ...shared },
  );
  config.connectors = { ...config.connectors, healthIntervalMs: 600_000, ...connectorSettings };
  const demo = demoExtension(demoConfigFromEnv({}, { simulatorIntervalMs: 0, erpPollIntervalMs: 0 }));
  const hub = await startHub(
    config,
    { log: () => {}, warn: console.warn, error: console.error },
    { extensions: [demo], connectors: connector ? [connector] : [] },
  );
  const gql = async (query, variables) => {
    const res = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.localAdminToken}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await res.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const stop = async () => {
    await hub.close();
    await drop();
  };
  return { hub, gql, stop };
}
