import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RecordingHub } from './support/fake-hub.js';
import { freshHub, helper, HUB, initRuntime, next, nodes, sleep, statuses, timerCount, until } from './support/red.js';

const PRESS = 'acme/berlin/assembly/line-1/press-1';
const OVEN = 'acme/berlin/paint/oven-1';
let hub: RecordingHub;

beforeAll(() => initRuntime());
beforeEach(() => {
  hub = freshHub();
});
afterEach(async () => {
  await helper.unload();
});

const raises = () => hub.operations.filter((o) => o.query.includes('raiseAlert(')).map((o) => o.variables!.input);
const clears = () => hub.operations.filter((o) => o.query.includes('clearAlert(')).map((o) => o.variables!.id);

async function load(rule: Record<string, unknown>) {
  await helper.load(nodes, [
    HUB,
    { id: 'ar', type: 'plantgraph-alert-rule', hub: 'hub', wires: [['out']], ...rule },
    { id: 'out', type: 'helper' },
  ]);
  const outputs: any[] = [];
  helper.getNode('out').on('input', (m) => outputs.push(m.payload));
  return { node: helper.getNode('ar'), outputs };
}

describe('plantgraph-alert-rule: threshold', () => {
  it('raises and clears per path with hysteresis, via raiseAlert/clearAlert', async () => {
    const { node, outputs } = await load({
      rule: 'threshold',
      property: 'payload',
      high: '80',
      hysteresis: '5',
      severity: 'High',
      title: '{{path}} at {{value}} °C',
      escalateAfterSeconds: '600',
    });
    const seen = statuses(node);
    for (const [path, payload] of [
      [PRESS, 70],
      [PRESS, 85],
      [OVEN, 90],
      [PRESS, 78],
      [PRESS, 74],
    ] as const)
      node.receive({ path, payload });
    await until(() => outputs.length === 3, 2_000, 'three transitions');
    // Transitions keep their order per path only: the press's first (initial) clear looks up open alerts first.
    const byPath = (a: any, b: any) => String(a.path).localeCompare(String(b.path));
    expect(raises().sort(byPath)).toEqual([
      {
        path: PRESS,
        deduplicationKey: `ar:${PRESS}`,
        severity: 'High',
        title: `${PRESS} at 85 °C`,
        escalateAfterSeconds: 600,
      },
      {
        path: OVEN,
        deduplicationKey: `ar:${OVEN}`,
        severity: 'High',
        title: `${OVEN} at 90 °C`,
        escalateAfterSeconds: 600,
      },
    ]);
    const pressAlert = hub.alerts.find((a) => a.path === PRESS)!;
    expect(clears()).toEqual([pressAlert.id]);
    expect(outputs.filter((o) => o.path === PRESS).map((o) => [o.event, o.alertId])).toEqual([
      ['raised', pressAlert.id],
      ['cleared', pressAlert.id],
    ]);
    expect(outputs.filter((o) => o.path === OVEN).map((o) => o.event)).toEqual(['raised']);
    expect(hub.alerts.map((a) => [a.path, a.state]).sort()).toEqual(
      [
        [PRESS, 'Cleared'],
        [OVEN, 'Active'],
      ].sort(),
    );
    await until(() => seen.at(-1) === '1 raised of 2 paths', 1_000, 'status');
  });

  it('reads the value from an equipment-signal passthrough and fails messages without a number', async () => {
    const { node, outputs } = await load({
      rule: 'threshold',
      property: 'signal.value',
      high: '10',
      dedupKey: '{{path}}/too-hot',
    });
    node.receive({ signal: { kind: 'value', path: PRESS, name: 'temp', value: 12 }, payload: 120 });
    await until(() => outputs.length === 1, 2_000, 'a raise');
    expect(raises()[0]).toMatchObject({ path: PRESS, deduplicationKey: `${PRESS}/too-hot`, severity: 'Medium' });
    const error = next(node, 'call:error');
    node.receive({ path: PRESS, signal: { value: 'hot' } });
    expect(String((await error).args[0])).toMatch(/msg.signal.value is not a number/);
  });

  it('clears an alert left open by an earlier run when it first sees the path normal', async () => {
    hub.alerts.push({
      id: 'old-1',
      path: PRESS,
      deduplicationKey: `ar:${PRESS}`,
      severity: 'Medium',
      title: 'old',
      state: 'Active',
      occurrences: 1,
    });
    hub.alerts.push({
      id: 'other',
      path: PRESS,
      deduplicationKey: 'someone-else',
      severity: 'Medium',
      title: 'x',
      state: 'Active',
      occurrences: 1,
    });
    const { node, outputs } = await load({ rule: 'threshold', high: '80' });
    node.receive({ path: PRESS, payload: 20 });
    node.receive({ path: OVEN, payload: 20 });
    await until(() => outputs.length === 1, 2_000, 'the clear');
    await sleep(50);
    expect(outputs).toMatchObject([{ event: 'cleared', path: PRESS, alertId: 'old-1' }]);
    expect(hub.alerts.map((a) => a.state)).toEqual(['Cleared', 'Active']);
  });

  it('fails the message when the hub refuses the alert', async () => {
    const { node } = await load({ rule: 'threshold', high: '1' });
    hub.graphql = async () => ({
      data: { raiseAlert: { __typename: 'NotFound', code: 'NotFound', message: `no equipment ${PRESS}` } },
    });
    const error = next(node, 'call:error');
    node.receive({ path: PRESS, payload: 5 });
    expect(String((await error).args[0])).toBe(`Error: raiseAlert: NotFound: no equipment ${PRESS}`);
  });
  it('raises again on the next message after the hub failed a raise', async () => {
    const { node, outputs } = await load({ rule: 'threshold', high: '80' });
    const real = hub.graphql.bind(hub);
    hub.graphql = async () => {
      throw new Error('hub unreachable');
    };
    const error = next(node, 'call:error');
    node.receive({ path: PRESS, payload: 90 });
    expect(String((await error).args[0])).toMatch(/hub unreachable/);
    hub.graphql = real;
    node.receive({ path: PRESS, payload: 91 });
    await until(() => outputs.length === 1, 2_000, 'the raise');
    expect(hub.alerts).toMatchObject([{ path: PRESS, state: 'Active' }]);
  });
});

describe('plantgraph-alert-rule: state held too long', () => {
  it('raises after the duration from event-in messages and clears when the state ends', async () => {
    const { node, outputs } = await load({
      rule: 'stateDuration',
      states: 'Down',
      duration: '0.3',
      durationUnit: 's',
      severity: 'Critical',
    });
    const down = {
      topic: 'pg.event…',
      eventType: 'EquipmentStateChanged',
      path: PRESS,
      payload: { path: PRESS, state: 'Down', reason: 'JAM', at: new Date().toISOString() },
    };
    node.receive(down);
    await sleep(150);
    expect(raises()).toEqual([]);
    await until(() => outputs.length === 1, 2_000, 'the raise');
    expect(raises()[0]).toMatchObject({
      path: PRESS,
      severity: 'Critical',
      title: `${PRESS}: Down for more than 0.3 s`,
    });
    node.receive({ path: PRESS, payload: { path: PRESS, state: 'Running', at: new Date().toISOString() } });
    await until(() => outputs.length === 2, 2_000, 'the clear');
    expect(outputs.map((o) => o.event)).toEqual(['raised', 'cleared']);
    expect(outputs[1].detail).toMatchObject({ state: 'Running', previousState: 'Down' });
  });

  it('leaves no timer behind and raises nothing after close', async () => {
    const timersBefore = timerCount();
    const { node } = await load({
      rule: 'stateDuration',
      states: 'Down, Maintenance',
      duration: '0.3',
      durationUnit: 's',
    });
    node.receive({ signal: { kind: 'state', path: PRESS, state: 'Down', reason: 'JAM' }, payload: 2 });
    node.receive({ path: OVEN, payload: 'Maintenance' });
    await sleep(20);
    expect(timerCount()).toBeGreaterThanOrEqual(timersBefore + 2);
    await helper.unload();
    expect(timerCount()).toBeLessThanOrEqual(timersBefore);
    await sleep(400);
    expect(raises()).toEqual([]);
  });
});

describe('plantgraph-alert-rule: scrap rate', () => {
  it('raises on the scrap rate of counts from an equipment-signal node', async () => {
    await helper.load(nodes, [
      HUB,
      {
        id: 'sig',
        type: 'plantgraph-equipment-signal',
        hub: 'hub',
        kind: 'count',
        path: PRESS,
        countMode: 'increment',
        wires: [['ar']],
      },
      {
        id: 'ar',
        type: 'plantgraph-alert-rule',
        hub: 'hub',
        rule: 'rate',
        windowMinutes: '10',
        limitPercent: '5',
        minParts: '20',
        hysteresis: '1',
        description: 'limit {{limit}}, window {{window}}',
        wires: [['out']],
      },
      { id: 'out', type: 'helper' },
    ]);
    const outputs: any[] = [];
    helper.getNode('out').on('input', (m) => outputs.push(m.payload));
    const sig = helper.getNode('sig');
    sig.receive({ payload: { good: 18, scrap: 1 } }); // 19 parts: too few to judge
    sig.receive({ payload: { good: 1 } }); // 1/20 = 5 %: not above
    sig.receive({ payload: { scrap: 2 } }); // 3/22 = 13.6 %
    await until(() => outputs.length === 1, 2_000, 'the raise');
    expect(hub.signals).toHaveLength(3);
    expect(outputs[0]).toMatchObject({
      event: 'raised',
      path: PRESS,
      detail: { rate: 13.64, good: 19, scrap: 3, parts: 22 },
    });
    expect(raises()[0]).toMatchObject({
      title: `${PRESS}: scrap rate 13.64% over the last 10 min`,
      description: 'limit 5%, window 10 min',
    });
    sig.receive({ payload: { good: 60 } }); // 3/82 = 3.7 %
    await until(() => outputs.length === 2, 2_000, 'the clear');
    expect(outputs[1]).toMatchObject({ event: 'cleared', alertId: 'alert-1' });
  });

  it('reports a misconfigured rule on its status', async () => {
    const { node } = await load({ rule: 'threshold', high: '', low: '' });
    const errors: string[] = [];
    node.on('call:error', (call) => errors.push(String(call.args[0])));
    const seen = statuses(node);
    node.receive({ path: PRESS, payload: 1 });
    await until(
      () => errors.some((e) => /misconfigured: a threshold rule needs a high or a low limit/.test(e)),
      2_000,
      'the message error',
    );
    expect(seen.at(-1)).toMatch(/^misconfigured: a threshold rule/);
    expect(raises()).toEqual([]);
  });
});
