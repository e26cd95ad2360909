import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttributeIds, type ClientSession, OPCUAClient } from 'node-opcua';
import { demoConfigFromEnv } from '@plantgraph/demo';
import { startTestHub, type TestHub } from './support/harness.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const PRESS = 'acme/berlin/assembly/line-1/press-1';

/** A port free on loopback now. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe('the demo machines over OPC UA (PLANTGRAPH_DEMO_OPCUA_PORT)', () => {
  let hub: TestHub;
  let port = 0;
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  let session: ClientSession | null = null;

  beforeAll(async () => {
    port = await freePort();
    hub = await startTestHub('embedded', { demo: true, simulatorIntervalMs: 100, demoOpcuaPort: port });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await session?.close().catch(() => {});
    await client.disconnect().catch(() => {});
    await hub?.stop();
  });

  it('is off unless asked, and refuses a port that is no port', () => {
    expect(demoConfigFromEnv({}).opcuaPort).toBeNull();
    expect(demoConfigFromEnv({ PLANTGRAPH_DEMO_OPCUA_PORT: '4841' }).opcuaPort).toBe(4841);
    expect(() => demoConfigFromEnv({ PLANTGRAPH_DEMO_OPCUA_PORT: 'x' })).toThrow(
      'PLANTGRAPH_DEMO_OPCUA_PORT must be a TCP port (0: any free one), got "x".',
    );
  });

  it('serves each demo machine by its path, moved by the demo simulator', async () => {
    await client.connect(`opc.tcp://127.0.0.1:${port}/plantgraph`);
    session = await client.createSession();
    const read = async (variable: string) =>
      (await session!.read({ nodeId: `ns=1;s=${PRESS}.${variable}`, attributeId: AttributeIds.Value })).value.value;
    expect(typeof (await read('State'))).toBe('number');
    // Bounded: the simulator moves three machines each 100 ms; some machine makes parts within seconds.
    const machines = (
      await hub.gql('{ equipmentList(filter: { level: [WorkCell] }, first: 100) { edges { node { path } } } }')
    ).equipmentList.edges.map((e: { node: { path: string } }) => e.node.path);
    let made = 0;
    for (let i = 0; i < 100 && made === 0; i++) {
      for (const m of machines)
        made += Number(
          (await session.read({ nodeId: `ns=1;s=${m}.GoodCount`, attributeId: AttributeIds.Value })).value.value ?? 0,
        );
      if (made === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(made).toBeGreaterThan(0);
  });
});
