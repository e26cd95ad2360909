import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_NATS_URL,
  createTestDatabase,
  deleteNatsNamespace,
  graphql,
  sleep,
  subscribe,
  uniqueName,
} from './support/harness.js';
import { CLI, spawnHub, type HubProcess } from './support/process.js';
import { eventually } from './support/flows.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const run = promisify(execFile);
const PRESS = 'acme/berlin/assembly/line-2/press-3';

/**
 * The demo plant's alert rules on two hub processes: the leader raises "down too long"; after a
 * SIGKILL the standby takes the flows over, sees the machine still down and raises again with the
 * same de-duplication key, so subscribers see one alert, not two; the standby then clears it.
 */
describe('alert rules across two replicas', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const namespace = uniqueName('fa');
  const plant = uniqueName('demo');
  const prefix = uniqueName('twohubs');
  const dir = mkdtempSync(join(tmpdir(), 'plantgraph-failover-alerts-'));
  let a: HubProcess;
  let b: HubProcess;
  let machines: mqtt.MqttClient;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      DATABASE_URL: database.url,
      NATS_URL: TEST_NATS_URL,
      PLANTGRAPH_NATS_NAMESPACE: namespace,
      PLANTGRAPH_FLOWS_PLANT: plant,
      PLANTGRAPH_SIMULATOR_INTERVAL_MS: '0',
      PLANTGRAPH_DEMO_MQTT_URL: 'mqtt://127.0.0.1:1883',
    };
    // The shipped demo flows with a topic prefix of this test and seconds instead of minutes.
    const flows = JSON.parse(
      readFileSync(new URL('../flows/plants/demo.json', import.meta.url), 'utf8').replaceAll(
        'plantgraph-demo/',
        `${prefix}/`,
      ),
    ) as Record<string, unknown>[];
    for (const node of flows)
      if (node.id === 'demo-down-rule') Object.assign(node, { duration: '2', durationUnit: 's' });
    writeFileSync(join(dir, 'demo.json'), `${JSON.stringify(flows, null, 4)}\n`);
    const cli = (args: string[]) =>
      run(process.execPath, [CLI, ...args], { env: { ...env, PATH: process.env.PATH ?? '' } });
    await cli(['flows', 'import', plant, '--file', join(dir, 'demo.json')]);
    token = /\n(pgk_\S+)/.exec(
      (await cli(['api-key', 'create', '--name', 'two-hubs', '--grant', 'admin@*'])).stdout,
    )![1]!;
    a = await spawnHub(env, ['--demo']);
    await eventually(async () => /Started flows/.test(a.output()), 20_000, 'replica a to run the flows');
    b = await spawnHub(env, ['--demo']);
    machines = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
    // Two hubs with the demo, each with its flows process: more than a minute on two busy cores.
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await machines?.publishAsync(`${prefix}/${PRESS}/state`, '', { retain: true }); // leave no retained tag behind
    await machines?.endAsync();
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    await deleteNatsNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  });

  const downAlerts = async () =>
    (
      await graphql(
        b.url,
        `{ alerts(filter: { pathPrefix: "${PRESS}" }) { edges { node { title state occurrences raisedBy } } } }`,
        undefined,
        token,
      )
    ).alerts.edges
      .map((e: any) => e.node)
      .filter((n: any) => /down longer/.test(n.title));

  it('raises once on the leader, keeps it one alert through a failover, and clears it on the new leader', async () => {
    expect(b.output()).toMatch(/standby for plant/);
    const board = await subscribe(
      b.url,
      'subscription { alertRaised(scope: "acme") { type path title } }',
      undefined,
      token,
    );
    // A retained tag, as a PLC gateway keeps it: a new subscriber (the next leader) gets it too.
    await machines.publishAsync(`${prefix}/${PRESS}/state`, '2', { qos: 1, retain: true });
    await board.waitFor((e) => e.data.alertRaised.type === 'AlertRaised' && e.data.alertRaised.path === PRESS, 15_000);

    const killedAt = Date.now();
    await a.kill();
    await eventually(async () => /Started flows/.test(b.output()), 10_000, 'replica b to take over the flows');
    expect(Date.now() - killedAt).toBeLessThan(5000 + 1000);
    // b's rule sees the press still down and raises with the same key: an occurrence, not an alert.
    await eventually(async () => (await downAlerts())[0]?.occurrences >= 2, 15_000, 'the new leader to raise again');
    await sleep(1000);
    expect(await downAlerts()).toEqual([expect.objectContaining({ state: 'Active', raisedBy: `flows:${plant}` })]);
    expect(
      board.received.filter((e) => e.data.alertRaised.type === 'AlertRaised' && e.data.alertRaised.path === PRESS),
    ).toHaveLength(1);

    await machines.publishAsync(`${prefix}/${PRESS}/state`, '1', { qos: 1, retain: true });
    await eventually(
      async () => (await downAlerts())[0]?.state === 'Cleared',
      10_000,
      'the new leader to clear the alert',
    );
    await board.close();
  });
});
