import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opcUaConnector } from '@plantgraph/connector-opcua';
import { OpcUaMachineSimulator } from '@plantgraph/opcua-simulator';
import { startTestHub, type TestHub, uniqueName } from './support/harness.js';
import { startPrivateNats } from './support/private-nats.js';
import type { PrivateService } from './support/private-service.js';
import { until } from './support/queue.js';
import { configureOpcUa, equipmentState, health, PRESS, pressMapping, stored } from './support/opcua.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('OPC UA connector: store and forward (postgres+nats, the bus stopped and started)', () => {
  let nats: PrivateService;
  let hub: TestHub;
  let sim: OpcUaMachineSimulator;
  beforeAll(async () => {
    nats = await startPrivateNats({ jetstream: true });
    sim = await OpcUaMachineSimulator.start({ machines: ['press-1'] });
    hub = await startTestHub('postgres+nats', {
      demo: true,
      simulatorIntervalMs: 0,
      natsUrl: nats.url,
      natsNamespace: uniqueName('t'), // on the private server, gone with its folder
      connectorTypes: [opcUaConnector],
      connectors: { relayIntervalMs: 100 },
    });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await sim?.stop();
    await nats?.dispose();
  });

  it('buffers the values read while the hub cannot take them and sends them in order when it can', async () => {
    expect(await configureOpcUa(hub, 'press-saf', sim, pressMapping())).toEqual({ __typename: 'ConnectorInstance' });
    sim.setState('press-1', 'Running');
    await until(async () => (await equipmentState(hub, PRESS)).state === 'Running', 'press Running', 30_000);
    for (let i = 0; i < 10; i++) sim.produce('press-1', { good: 1, cycleTimeMs: 800 + i });
    await until(async () => (await stored(hub, 'press-saf')).good === 10, 'ten parts before the outage', 30_000);

    await nats.kill(); // no goodbye: the hub finds out when its publishes time out
    for (let i = 0; i < 30; i++) {
      sim.produce('press-1', { good: 1, cycleTimeMs: 900 + i });
      if (i % 10 === 9) sim.produce('press-1', { scrap: 1 });
      await sleep(20);
    }
    sim.setState('press-1', 'Idle');
    await until(
      async () => ((await health(hub, 'press-saf')).streamHealth?.[0]?.buffered ?? 0) > 0,
      'values buffered',
      30_000,
    );
    await sleep(2000); // the connector keeps trying while the bus is away
    expect((await stored(hub, 'press-saf')).good).toBe(10);
    expect((await health(hub, 'press-saf')).streamHealth![0]).toMatchObject({ connected: true, dropped: 0 });

    await nats.restart();
    await until(async () => (await stored(hub, 'press-saf')).good >= 40, 'the buffered parts stored', 60_000);
    await until(async () => (await health(hub, 'press-saf')).streamHealth?.[0]?.buffered === 0, 'buffer empty', 30_000);
    await sleep(1500);
    expect(await stored(hub, 'press-saf')).toMatchObject({ good: 40, scrap: 3, cycles: 40 });
    await until(async () => (await equipmentState(hub, PRESS)).state === 'Idle', 'the state sent last arrives', 30_000);
  }, 180_000);
});
