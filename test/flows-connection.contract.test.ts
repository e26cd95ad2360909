/**
 * The same contract for both HubConnections (`flows/node-red/src/hub-connection.ts`): the embedded
 * one the hub hands its own Node-RED, and the remote one (URL + API key), given the same grants,
 * must get the same answers from one real hub: the same signals accepted and stored, the same
 * refused with the same message, the same events seen and hidden, the same GraphQL results.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '@plantgraph/schema';
import { createRemoteConnection, type HubConnection, type HubEvent } from '@plantgraph/node-red-contrib-plantgraph';
import { MODES, sleep, startTestHub, uniqueName, type TestHub } from './support/harness.js';
import { deploy, endpoint, eventually, withFlows } from './support/flows.js';

const LINE_1 = 'acme/berlin/assembly/line-1';
/** Readable (engineer in assembly), but no SetEquipmentState (maintenance only on line 1). */
const PRESS_3 = 'acme/berlin/assembly/line-2/press-3';
/** Outside every grant. */
const FILLER = 'acme/berlin/packaging/line-3/filler-1';
const NOWHERE = `${LINE_1}/nowhere`;
const GRANTS = [
  { role: Role.Engineer, scope: 'acme/berlin/assembly' },
  { role: Role.Maintenance, scope: LINE_1 },
];

type Name = 'embedded' | 'remote';
const NAMES: Name[] = ['embedded', 'remote'];
/** What became of a call: accepted, or refused with the error's message. */
const outcome = (call: () => Promise<unknown>) =>
  call().then(
    () => 'accepted',
    (err: Error) => `refused: ${err.message}`,
  );

describe.each(MODES)('embedded and remote hub connections (%s)', (mode) => {
  let hub: TestHub;
  const connections = {} as Record<Name, HubConnection>;
  let apiKey: string;
  const plant = uniqueName('contract');
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0, ...withFlows(plant, { grants: GRANTS }) });
    const { createApiKey } = await hub.gql(
      'mutation ($grants: [GrantInput!]!) { createApiKey(input: { name: "contract", grants: $grants }) { ... on CreatedApiKey { secret } } }',
      {
        grants: GRANTS.map((g) => ({ role: g.role.charAt(0).toUpperCase() + g.role.slice(1), scope: g.scope })),
      },
    );
    connections.embedded = hub.flows!.embedded.connect();
    apiKey = createApiKey.secret;
    connections.remote = createRemoteConnection({ url: hub.url, apiKey });
  }, 180_000);
  afterAll(async () => {
    for (const c of Object.values(connections)) await c.close();
    await hub?.stop();
  });

  /** Runs `act` on each connection; the answers, by connection. */
  async function onBoth<T>(act: (connection: HubConnection, name: Name) => Promise<T>): Promise<Record<Name, T>> {
    const [embedded, remote] = await Promise.all(NAMES.map((n) => act(connections[n], n)));
    return { embedded: embedded!, remote: remote! };
  }
  const rows = async (sql: string, ...params: unknown[]) =>
    (await hub.db.em.fork().execute(sql, params)) as Record<string, unknown>[];

  it('accepts signals of each kind and stores them alike', async () => {
    const machine: Record<Name, string> = { embedded: `${LINE_1}/press-1`, remote: `${LINE_1}/press-2` };
    const sources = { embedded: uniqueName('contract-e-'), remote: uniqueName('contract-r-') };
    const sent = await onBoth(async (c, n) => {
      const source = sources[n];
      return Promise.all([
        outcome(() => c.publishSignal('state', machine[n], { source, sequence: 1, state: 'Down', reason: 'JAM' })),
        outcome(() => c.publishSignal('count', machine[n], { source, sequence: 2, good: 5, scrap: 1 })),
        outcome(() => c.publishSignal('cycle', machine[n], { source, sequence: 3, cycleTimeMs: 4200 })),
        outcome(() =>
          c.publishSignal('value', machine[n], {
            source,
            sequence: 4,
            name: 'oil_temperature',
            value: 48.5,
            unit: 'degC',
          }),
        ),
      ]);
    });
    expect(sent).toEqual({ embedded: Array(4).fill('accepted'), remote: Array(4).fill('accepted') });
    const stored = await onBoth(async (_c, n) => {
      const source = sources[n];
      await eventually(
        async () => (await rows('select 1 from process_value where source = ?', source)).length === 1,
        10_000,
        `the ${n} process value`,
      );
      await eventually(
        async () => (await rows('select 1 from equipment_state_change where source = ?', source)).length === 1,
        10_000,
        `the ${n} state`,
      );
      return {
        states: await rows('select state, reason, applied from equipment_state_change where source = ?', source),
        counts: await rows(
          'select good, scrap, rework, cycle_time_ms from production_count where source = ? order by sequence',
          source,
        ),
        values: await rows('select name, value, unit from process_value where source = ?', source),
        equipment: (
          await hub.gql('query ($p: String!) { equipment(path: $p) { state stateReason } }', { p: machine[n] })
        ).equipment,
      };
    });
    expect(stored.embedded).toEqual(stored.remote);
    expect(stored.remote).toEqual({
      states: [{ state: 'Down', reason: 'JAM', applied: true }],
      counts: [
        { good: 5, scrap: 1, rework: 0, cycle_time_ms: null },
        { good: 1, scrap: 0, rework: 0, cycle_time_ms: 4200 },
      ],
      values: [{ name: 'oil_temperature', value: 48.5, unit: 'degC' }],
      equipment: { state: 'Down', stateReason: 'JAM' },
    });
  });

  it('refuses a signal outside SetEquipmentState exactly as one for missing equipment', async () => {
    const refused = await onBoth(async (c, n) => {
      const source = uniqueName(`contract-${n}-`);
      const answers: string[] = [];
      for (const [i, path] of [PRESS_3, FILLER, NOWHERE].entries()) {
        answers.push(await outcome(() => c.publishSignal('state', path, { source, sequence: i + 1, state: 'Idle' })));
      }
      return { answers, source };
    });
    expect(refused.embedded.answers).toEqual(refused.remote.answers);
    expect(refused.remote.answers).toEqual(
      [PRESS_3, FILLER, NOWHERE].map(
        (p) =>
          `refused: signal refused by the hub: NotFound: No equipment "${p}" exists. Check the key, or create it first.`,
      ),
    );
    await sleep(500);
    for (const n of NAMES)
      expect(await rows('select path from equipment_state_change where source = ?', refused[n].source)).toEqual([]);
  });

  it('refuses malformed signals with the same message', async () => {
    const press = `${LINE_1}/press-1`;
    const cases: [kind: string, path: string, body: Record<string, unknown>, expected: RegExp][] = [
      [
        'state',
        press,
        { state: 'Down' },
        /^refused: signal refused by the hub: InvalidInput \(signals\[0\]\): signals\[0\]: a Down state needs a reason code/,
      ],
      ['state', press, { state: 'Sleeping' }, /Value "Sleeping" does not exist in "EquipmentState" enum/],
      ['count', press, { good: -1 }, /good must be a whole number from 0 to 1,000,000 \(got -1\)/],
      ['count', press, { good: 0 }, /must count at least one part/],
      ['value', press, { name: 'x y', value: 1 }, /name must be 1-128 letters/],
      [
        'cycle',
        'not a path',
        { cycleTimeMs: 10 },
        /InvalidInput \(signals\[0\]\.path\): signals\[0\]\.path: "not a path" is not an equipment path/,
      ],
      ['state', press, { state: 'Idle', sequence: -1 }, /sequence must be a non-negative integer/],
      ['state', press, { state: 'Idle', source: '' }, /source must be a non-empty string/],
      ['temperature', press, { value: 1 }, /^refused: unknown signal kind "temperature"$/],
    ];
    const refused = await onBoth(async (c, n) => {
      const answers: string[] = [];
      for (const [i, [kind, path, body]] of cases.entries()) {
        const signal = { source: `contract-bad-${n}`, sequence: i + 1, ...body } as {
          source: string;
          sequence: number;
        };
        answers.push(await outcome(() => c.publishSignal(kind as 'state', path, signal)));
      }
      return answers;
    });
    expect(refused.embedded).toEqual(refused.remote);
    for (const [i, answer] of refused.remote.entries()) expect(answer).toMatch(cases[i]![3]);
  });

  it('delivers the same events, hides the same, and publishes flow events alike', async () => {
    const received = { embedded: [] as HubEvent[], remote: [] as HubEvent[] };
    const errors = { embedded: [] as Error[], remote: [] as Error[] };
    const types = ['EquipmentStateChanged', 'OverTemperature', 'ContractMarker'];
    const ends = NAMES.map((n) =>
      connections[n].subscribeEvents(
        '*',
        types,
        (e) => received[n].push(e),
        (e) => errors[n].push(e),
      ),
    );
    const outside = NAMES.map((n) =>
      connections[n].subscribeEvents(
        'acme/berlin/packaging',
        [],
        (e) => received[n].push(e),
        (e) => errors[n].push(e),
      ),
    );
    try {
      // Subscriptions open asynchronously (the remote one over a socket): mark until both see a marker.
      await eventually(
        async () => {
          await hub.gql(
            `mutation { publishFlowEvent(type: "ContractMarker", path: "${LINE_1}/robot-1", data: "{}") { __typename } }`,
          );
          return NAMES.every((n) => received[n].some((e) => e.type === 'ContractMarker'));
        },
        10_000,
        'both subscriptions to open',
      );
      for (const path of [`${LINE_1}/robot-1`, FILLER, PRESS_3]) {
        await hub.gql(
          'mutation ($p: String!) { setEquipmentState(input: { path: $p, state: Maintenance }) { __typename } }',
          { p: path },
        );
      }
      const published = await onBoth((c) =>
        Promise.all([
          outcome(() => c.publishEvent('OverTemperature', PRESS_3, { celsius: 91 })),
          outcome(() => c.publishEvent('OverTemperature', FILLER, { celsius: 91 })),
          outcome(() => c.publishEvent('OverTemperature', NOWHERE, { celsius: 91 })),
          outcome(() => c.publishEvent('over.temperature', PRESS_3, {})),
        ]),
      );
      expect(published.embedded).toEqual(published.remote);
      expect(published.remote).toEqual([
        'accepted',
        `refused: event OverTemperature about ${FILLER}: NotFound: No equipment "${FILLER}" exists. Check the key, or create it first.`,
        `refused: event OverTemperature about ${NOWHERE}: NotFound: No equipment "${NOWHERE}" exists. Check the key, or create it first.`,
        'refused: event over.temperature about acme/berlin/assembly/line-2/press-3: InvalidInput (type): type: "over.temperature" must be a PascalCase name of at most 64 letters and digits, e.g. ScrapRateHigh.',
      ]);
      await eventually(
        async () => NAMES.every((n) => received[n].filter((e) => e.type === 'OverTemperature').length === 2),
        10_000,
        'both flow events',
      );
      await sleep(500);
      const seen = (n: Name) =>
        received[n]
          .filter((e) => e.type !== 'ContractMarker')
          .map(
            (e) =>
              `${e.type} ${e.path} ${e.type === 'EquipmentStateChanged' ? e.data.state : (e.data.data as { celsius: number }).celsius}`,
          )
          .sort();
      expect(seen('embedded')).toEqual(seen('remote'));
      expect(seen('remote')).toEqual([
        `EquipmentStateChanged ${LINE_1}/robot-1 Maintenance`,
        `EquipmentStateChanged ${PRESS_3} Maintenance`,
        `OverTemperature ${PRESS_3} 91`,
        `OverTemperature ${PRESS_3} 91`,
      ]);
      const flowEvent = (n: Name) => received[n].find((e) => e.type === 'OverTemperature')!;
      for (const n of NAMES)
        expect(flowEvent(n).subject).toMatch(
          /\.event\.flow\.OverTemperature\.acme\.berlin\.assembly\.line-2\.press-3$/,
        );
      expect(errors).toEqual({ embedded: [], remote: [] });
    } finally {
      for (const end of [...ends, ...outside]) end();
    }
  });

  it('refuses a malformed event subscription with the same message', async () => {
    const refused = await onBoth(
      (c) =>
        new Promise<string>((resolve) => {
          const end = c.subscribeEvents(
            'not a path!',
            [],
            () => resolve('an event'),
            (err) => resolve(err.message),
          );
          setTimeout(() => {
            end();
            resolve('no answer');
          }, 5_000);
        }),
    );
    expect(refused.embedded).toEqual(refused.remote);
    expect(refused.remote).toMatch(/scope: "not a path!" is not an equipment path/);
  });

  it('answers GraphQL alike: data in scope, nothing outside, the same refusals', async () => {
    const operations: [query: string, variables?: Record<string, unknown>][] = [
      ['{ viewer { grants { role scope } } }'],
      ['query ($p: String!) { equipment(path: $p) { path level } }', { p: PRESS_3 }],
      ['query ($p: String!) { equipment(path: $p) { path level } }', { p: FILLER }],
      ['{ equipmentList(filter: { pathPrefix: "acme/berlin" }, first: 100) { totalCount } }'],
      ['mutation ($p: String!) { setEquipmentState(input: { path: $p, state: Idle }) { __typename } }', { p: PRESS_3 }],
      [
        'mutation ($p: String!) { setEquipmentState(input: { path: $p, state: Idle }) { __typename ... on ErrorResult { code } } }',
        { p: FILLER },
      ],
      ['mutation { createApiKey(input: { name: "x", grants: [{ role: Admin, scope: "acme" }] }) { __typename } }'],
      ['{ nope }'],
    ];
    const answers = await onBoth(async (c) => {
      const results: { data: any; errors: string[] }[] = [];
      for (const [query, variables] of operations) {
        const { data, errors } = await c.graphql(query, variables);
        results.push({ data: data ?? null, errors: errors?.map((e) => e.message) ?? [] });
      }
      return results;
    });
    expect(answers.embedded).toEqual(answers.remote);
    const [viewer, inScope, outside, list, forbidden, hidden, noKeys, invalid] = answers.remote;
    expect(viewer!.data.viewer.grants).toEqual([
      { role: 'Engineer', scope: 'acme/berlin/assembly' },
      { role: 'Maintenance', scope: LINE_1 },
    ]);
    expect(inScope!.data).toEqual({ equipment: { path: PRESS_3, level: 'WorkCell' } });
    expect(outside!.data).toEqual({ equipment: null });
    expect(list!.data.equipmentList.totalCount).toBeGreaterThan(0);
    expect(forbidden!.errors).toEqual([expect.stringMatching(/not allowed to SetEquipmentState at/)]);
    expect(hidden!.data).toEqual({ setEquipmentState: { __typename: 'NotFound', code: 'NotFound' } });
    expect(noKeys!.errors).toEqual([expect.stringMatching(/not allowed to use Mutation\.createApiKey/)]);
    expect(invalid!.errors).toEqual([expect.stringMatching(/Cannot query field "nope"/)]);
  });
  it('refuses GraphQL over the limits alike: cost, aliases, depth', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: viewer { name }`).join(' ');
    const deep = `{ equipment(path: "${LINE_1}") ${'{ children '.repeat(12)}{ path }${' }'.repeat(12)} }`;
    const operations = ['{ equipmentList(first: 1000000000) { edges { node { path } } } }', `{ ${aliases} }`, deep];
    const answers = await onBoth(async (c) => {
      const results: string[] = [];
      for (const query of operations)
        results.push((await c.graphql(query)).errors?.map((e) => e.message).join('; ') ?? 'ran');
      return results;
    });
    expect(answers.embedded).toEqual(answers.remote);
    expect(answers.remote).toEqual([
      expect.stringMatching(/^Query Cost limit of 100000 exceeded/),
      expect.stringMatching(/aliases/i),
      expect.stringMatching(/depth/i),
    ]);
  });

  it('refuses an equipment-signal node without SetEquipmentState alike, embedded or remote, in a deployed flow', async () => {
    // http in → equipment signal (state of PRESS_3, no grant there) → http response; a catch node answers the error.
    const tab = (n: Name) => [
      { id: `${n}-tab`, type: 'tab', label: n },
      { id: `${n}-in`, type: 'http in', z: `${n}-tab`, url: `/contract/${n}`, method: 'post', wires: [[`${n}-sig`]] },
      {
        id: `${n}-sig`,
        type: 'plantgraph-equipment-signal',
        z: `${n}-tab`,
        hub: `${n}-hub`,
        kind: 'state',
        path: PRESS_3,
        stateMap: '2=Down:JAM',
        source: uniqueName(`contract-node-${n}-`),
        wires: [[`${n}-out`]],
      },
      {
        id: `${n}-catch`,
        type: 'catch',
        z: `${n}-tab`,
        scope: [`${n}-sig`],
        wires: [[`${n}-err`]],
      },
      {
        id: `${n}-err`,
        type: 'function',
        z: `${n}-tab`,
        func: 'msg.statusCode = 422; msg.payload = msg.error.message; return msg;',
        outputs: 1,
        wires: [[`${n}-out`]],
      },
      { id: `${n}-out`, type: 'http response', z: `${n}-tab`, statusCode: '', headers: {}, wires: [] },
    ];
    const flows = [
      { id: 'embedded-hub', type: 'plantgraph-hub', mode: 'embedded' },
      { id: 'remote-hub', type: 'plantgraph-hub', mode: 'remote', url: hub.url, credentials: { apiKey } },
      ...tab('embedded'),
      ...tab('remote'),
    ];
    expect((await deploy(hub.url, hub.localAdminToken, flows)).status).toBe(204);
    const before = (await hub.gql('query ($p: String!) { equipment(path: $p) { state } }', { p: PRESS_3 })).equipment;
    const answers = await onBoth((_c, n) =>
      eventually(
        async () => {
          const res = await endpoint(hub.url, `/contract/${n}`, hub.localAdminToken, {
            method: 'POST',
            headers: { 'content-type': 'text/plain' },
            body: '2',
          });
          return res.status === 404 ? null : `${res.status} ${await res.text()}`;
        },
        10_000,
        `the ${n} endpoint`,
      ),
    );
    expect(answers.embedded).toEqual(answers.remote);
    expect(answers.remote).toBe(
      `422 Error: signal refused by the hub: NotFound: No equipment "${PRESS_3}" exists. Check the key, or create it first.`,
    );
    await sleep(500);
    expect((await hub.gql('query ($p: String!) { equipment(path: $p) { state } }', { p: PRESS_3 })).equipment).toEqual(
      before,
    );
  });
});
