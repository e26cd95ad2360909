import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConnector, type HubClient, publishSignals, type SignalInput } from '@plantgraph/connector-sdk';
import { startTestHub, type TestHub } from './support/harness.js';
import { until } from './support/queue.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/** A connector that only keeps the hub client the host gives it, to publish as the instance. */
const clients = new Map<string, HubClient>();
const probe = defineConnector({
  type: 'signal-probe',
  title: 'Signal probe',
  settings: {},
  create: (context) => {
    clients.set(context.name, context.hub);
    return { testConnection: async () => ({ roundTripMs: 0 }) };
  },
});

const PRESS = 'acme/berlin/assembly/line-1/press-1';
const ASSEMBLER = 'acme/berlin/assembly/line-2/assembler-1';
const CONFIGURE = `mutation ($i: ConfigureConnectorInput!) { configureConnector(input: $i) {
  __typename ... on ErrorResult { message } } }`;

/** The same signals through the hub's direct door and through the publishSignals mutation. */
describe.each(['postgres+nats', 'embedded'] as const)('signals from an in-process connector (%s)', (mode) => {
  let hub: TestHub;
  const tag = mode === 'embedded' ? 'embedded' : 'pg';
  beforeAll(async () => {
    hub = await startTestHub(mode, {
      demo: true,
      simulatorIntervalMs: 0,
      connectorTypes: [probe],
      connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000 },
    });
    for (const [name, role] of [
      [`${tag}-line-1`, 'Maintenance'],
      [`${tag}-viewer`, 'Operator'],
    ] as const) {
      const { configureConnector } = await hub.gql(CONFIGURE, {
        i: {
          name,
          type: 'signal-probe',
          scope: 'acme/berlin',
          enabled: true,
          grants: [{ role, scope: 'acme/berlin/assembly/line-1' }],
          settings: {},
        },
      });
      expect(configureConnector.__typename).toBe('ConnectorInstance');
    }
    await until(async () => clients.has(`${tag}-line-1`) && clients.has(`${tag}-viewer`), 'probes running', 30_000);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  /** The instance's client, and the same client without its direct door (GraphQL only). */
  const doors = (name: string) => {
    const direct = clients.get(`${tag}-${name}`)!;
    expect(direct.publishSignals).toBeTypeOf('function');
    return { direct, api: { graphql: direct.graphql } satisfies HubClient };
  };
  const value = (sequence: number, over: Partial<SignalInput> = {}): SignalInput => ({
    kind: 'Value',
    path: PRESS,
    source: `probe-${tag}`,
    sequence,
    at: new Date().toISOString(),
    name: 'temperature',
    value: 20 + sequence,
    unit: 'degC',
    ...over,
  });
  const ingest = async () =>
    (await hub.gql('{ signalIngest { received stored duplicates } }')).signalIngest as Record<string, number>;

  it('stores what either door takes, each (source, sequence) once', async () => {
    const { direct, api } = doors('line-1');
    const before = await ingest();
    const batch = Array.from({ length: 20 }, (_, i) => value(i + 1));
    expect(await publishSignals(direct, batch)).toEqual({ __typename: 'SignalsPublished', accepted: 20 });
    await until(async () => (await ingest()).received - before.received >= 20, 'the batch stored', 30_000);
    // Sent again through the other door (a retry after a lost answer): recognised, not stored again.
    expect(await publishSignals(api, batch)).toEqual({ __typename: 'SignalsPublished', accepted: 20 });
    expect(await publishSignals(direct, batch.slice(0, 5))).toEqual({ __typename: 'SignalsPublished', accepted: 5 });
    await until(async () => (await ingest()).received - before.received >= 20, 'the repeats settled', 30_000);
    await new Promise((r) => setTimeout(r, 500));
    const after = await ingest();
    expect(after.stored - before.stored).toBe(20);
    const [row] = await hub.db.em
      .fork()
      .execute<{ n: string }[]>('select count(*) as n from process_value where source = ?', [`probe-${tag}`]);
    expect(Number(row!.n)).toBe(20);
  });

  it('refuses exactly as publishSignals does: fields, paths, scope and unknown equipment', async () => {
    const { direct, api } = doors('line-1');
    const cases: SignalInput[][] = [
      [value(100), { kind: 'State', path: PRESS, source: 's', sequence: 1, state: 'Down' }],
      [value(101, { path: 'not a path' })],
      [value(102, { value: undefined })],
      [value(103, { at: '2020-01-01T00:00:00Z' })],
      [value(104, { path: ASSEMBLER })], // exists, outside the instance's grant
      [value(105, { path: 'acme/berlin/assembly/line-1/nothing-here' })],
      [{ kind: 'Count', path: PRESS, source: 's', sequence: 2, good: 0 }],
    ];
    for (const signals of cases) {
      const answer = await publishSignals(direct, signals);
      expect(answer.__typename).not.toBe('SignalsPublished');
      expect(answer).toEqual(await publishSignals(api, signals));
    }
    expect(await publishSignals(direct, [value(104, { path: ASSEMBLER })])).toMatchObject({
      __typename: 'NotFound',
      key: ASSEMBLER,
    });
  });

  it('refuses a principal without SetEquipmentState with the API error', async () => {
    const { direct, api } = doors('viewer');
    const refusal = (client: HubClient) => publishSignals(client, [value(200)]).then(String, (e: Error) => e.message);
    const message = await refusal(direct);
    expect(message).toMatch(/not allowed to use Mutation\.publishSignals/);
    expect(message).toBe(await refusal(api));
  });

  it('names the signal and field of a value of the wrong type', async () => {
    const { direct } = doors('line-1');
    const wrong = { ...value(300), good: 1.5 } as SignalInput;
    expect(await publishSignals(direct, [value(301), wrong])).toMatchObject({
      __typename: 'InvalidInput',
      field: 'signals[1].good',
    });
    expect(await publishSignals(direct, [{ ...value(302), kind: 'Pressure' } as never])).toMatchObject({
      __typename: 'InvalidInput',
      field: 'signals[0].kind',
    });
  });
});
