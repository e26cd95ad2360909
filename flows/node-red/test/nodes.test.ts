import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RecordingHub } from './support/fake-hub.js';
import { freshHub, helper, HUB, initRuntime, next, nodes, sleep, statuses, timerCount, until } from './support/red.js';

const PRESS = 'acme/berlin/assembly/line-1/press-1';
let hub: RecordingHub;

beforeAll(() => initRuntime());
beforeEach(() => {
  hub = freshHub();
});
afterEach(async () => {
  await helper.unload();
});

describe('plantgraph-hub', () => {
  it('errors clearly without an embedded hub, and closes its connection on redeploy', async () => {
    await helper.load(nodes, [
      HUB,
      { id: 'sig', type: 'plantgraph-equipment-signal', hub: 'hub', kind: 'state', path: PRESS, wires: [] },
    ]);
    helper.getNode('sig').receive({ payload: 'Running' });
    await until(() => hub.signals.length === 1, 2_000, 'a signal');
    await helper.unload();
    expect(hub.closed).toBe(1);

    initRuntime({ plantgraph: undefined });
    try {
      await helper.load(nodes, [
        HUB,
        { id: 'sig', type: 'plantgraph-equipment-signal', hub: 'hub', kind: 'state', path: PRESS, wires: [] },
      ]);
      const sig = helper.getNode('sig');
      const error = next(sig, 'call:error');
      sig.receive({ payload: 'Running' });
      expect(String((await error).args[0])).toMatch(/no embedded PlantGraph hub.*set the hub node to Remote/);
    } finally {
      initRuntime();
    }
  });

  it('refuses a remote hub without URL or key', async () => {
    await helper.load(nodes, [
      { id: 'hub', type: 'plantgraph-hub', mode: 'remote', url: '' },
      { id: 'q', type: 'plantgraph-graphql', hub: 'hub', query: '{ __typename }', wires: [] },
    ]);
    const q = helper.getNode('q');
    const error = next(q, 'call:error');
    q.receive({ payload: {} });
    expect(String((await error).args[0])).toMatch(/remote hub: set the hub URL/);
  });
});

describe('plantgraph-equipment-signal', () => {
  it('publishes mapped states with source and increasing sequence, passes msg.signal on, shows status', async () => {
    await helper.load(nodes, [
      HUB,
      {
        id: 'sig',
        type: 'plantgraph-equipment-signal',
        hub: 'hub',
        kind: 'state',
        path: PRESS,
        stateMap: '1=Running,0=Idle,2=Down:JAM',
        passthrough: true,
        wires: [['out']],
      },
      { id: 'out', type: 'helper' },
    ]);
    const sig = helper.getNode('sig');
    const seen = statuses(sig);
    const outputs: any[] = [];
    helper.getNode('out').on('input', (msg) => outputs.push(msg));
    for (const payload of [1, 2, 0]) sig.receive({ payload });
    await until(() => outputs.length === 3, 2_000, 'three outputs');
    expect(hub.signals.map((s) => [s.kind, s.path, s.body.state, s.body.reason])).toEqual([
      ['state', PRESS, 'Running', undefined],
      ['state', PRESS, 'Down', 'JAM'],
      ['state', PRESS, 'Idle', undefined],
    ]);
    expect(hub.signals.every((s) => s.body.source === 'node-red:sig')).toBe(true);
    const seqs = hub.signals.map((s) => s.body.sequence);
    expect(seqs[1]! > seqs[0]! && seqs[2]! > seqs[1]!).toBe(true);
    expect(outputs[1].signal).toEqual({
      kind: 'state',
      path: PRESS,
      state: 'Down',
      reason: 'JAM',
      source: 'node-red:sig',
      sequence: seqs[1],
    });
    expect(outputs[1].payload).toBe(2);
    await until(
      () => seen.includes('3 sent, …/line-1/press-1: Idle') || seen.some((t) => t.startsWith('3 sent')),
      1_000,
      'status',
    );
    expect(seen.at(-1)).toMatch(/^3 sent, .*Idle$/);
  });

  it('maps topics to paths, scales, applies the deadband and uses a configured source', async () => {
    await helper.load(nodes, [
      HUB,
      {
        id: 'sig',
        type: 'plantgraph-equipment-signal',
        hub: 'hub',
        kind: 'value',
        topicMapping: 'plant/{line}/{machine}/temp => acme/berlin/assembly/{line}/{machine}',
        factor: '0.1',
        offset: '',
        deadband: '0.5',
        unit: '°C',
        source: 'gw-7',
        wires: [],
      },
    ]);
    const sig = helper.getNode('sig');
    for (const payload of [215, 217, 221]) sig.receive({ topic: 'plant/line-1/press-1/temp', payload });
    await until(() => hub.signals.length === 2, 2_000, 'two signals');
    await sleep(50);
    expect(
      hub.signals.map((s) => ({
        path: s.path,
        name: s.body.name,
        value: s.body.value,
        unit: s.body.unit,
        source: s.body.source,
      })),
    ).toEqual([
      { path: PRESS, name: 'temp', value: 21.5, unit: '°C', source: 'gw-7' },
      { path: PRESS, name: 'temp', value: 22.1, unit: '°C', source: 'gw-7' },
    ]);
  });

  it('turns a cumulative counter into increments across a counter reset', async () => {
    await helper.load(nodes, [
      HUB,
      {
        id: 'sig',
        type: 'plantgraph-equipment-signal',
        hub: 'hub',
        kind: 'count',
        countMode: 'cumulative',
        countField: 'good',
        wires: [],
      },
    ]);
    const sig = helper.getNode('sig');
    for (const payload of [1000, 1004, 1004, 3]) sig.receive({ path: PRESS, payload });
    await until(() => hub.signals.length === 2, 2_000, 'two counts');
    await sleep(50);
    expect(hub.signals.map((s) => s.body.good)).toEqual([4, 3]);
  });

  it('loses no parts of a cumulative counter when the hub is briefly unreachable', async () => {
    await helper.load(nodes, [
      HUB,
      {
        id: 'sig',
        type: 'plantgraph-equipment-signal',
        hub: 'hub',
        kind: 'count',
        path: PRESS,
        countMode: 'cumulative',
        wires: [],
      },
    ]);
    const sig = helper.getNode('sig');
    sig.receive({ payload: 500 });
    hub.failSignals = new Error('bus unavailable');
    const error = next(sig, 'call:error');
    sig.receive({ payload: 505 });
    await error;
    hub.failSignals = null;
    sig.receive({ payload: 507 });
    await until(() => hub.signals.length === 1, 2_000, 'a count');
    expect(hub.signals[0]!.body.good).toBe(7);
  });

  it('fails the message with done(err) when the value cannot be mapped or the hub refuses', async () => {
    await helper.load(nodes, [
      HUB,
      {
        id: 'sig',
        type: 'plantgraph-equipment-signal',
        hub: 'hub',
        kind: 'state',
        path: PRESS,
        stateMap: '1=Running',
        wires: [],
      },
    ]);
    const sig = helper.getNode('sig');
    const seen = statuses(sig);
    let error = next(sig, 'call:error');
    sig.receive({ payload: 7 });
    expect(String((await error).args[0])).toMatch(/no equipment state for value 7/);
    hub.failSignals = new Error('bus unavailable');
    error = next(sig, 'call:error');
    sig.receive({ payload: 1 });
    expect(String((await error).args[0])).toMatch(/bus unavailable/);
    expect(seen.at(-1)).toBe('bus unavailable');
    expect(hub.signals).toEqual([]);
  });
  it('throttles its status to one update per 500 ms, the last one shown, and leaves no timer on close', async () => {
    const timersBefore = timerCount();
    await helper.load(nodes, [
      HUB,
      { id: 'sig', type: 'plantgraph-equipment-signal', hub: 'hub', kind: 'count', path: PRESS, wires: [] },
    ]);
    const sig = helper.getNode('sig');
    const seen = statuses(sig);
    for (let i = 0; i < 200; i++) sig.receive({ payload: 1 });
    await until(() => hub.signals.length === 200, 2_000, '200 counts');
    await until(() => seen.at(-1)?.startsWith('200 sent, ') === true, 1_500, 'the last status');
    expect(seen.length).toBeLessThanOrEqual(3);
    for (let i = 0; i < 5; i++) sig.receive({ payload: 1 });
    await until(() => hub.signals.length === 205, 2_000, '205 counts');
    // The update for 205 is due within 500 ms: close must cancel its timer.
    const pending = timerCount();
    await helper.unload();
    expect(timerCount()).toBe(pending - 1);
    expect(timerCount()).toBeLessThanOrEqual(timersBefore);
  });
});

describe('plantgraph-event-in', () => {
  it('outputs hub events of its scope and types', async () => {
    await helper.load(nodes, [
      HUB,
      {
        id: 'in',
        type: 'plantgraph-event-in',
        hub: 'hub',
        scope: 'acme/berlin/assembly',
        types: 'EquipmentStateChanged, ProductionCounted',
        wires: [['out']],
      },
      { id: 'out', type: 'helper' },
    ]);
    expect(hub.liveSubscriptions.map((s) => [s.scope, s.types])).toEqual([
      ['acme/berlin/assembly', ['EquipmentStateChanged', 'ProductionCounted']],
    ]);
    const out = helper.getNode('out');
    const received = next(out, 'input');
    hub.emit({
      subject: 'pg.event.equipment_state.changed.acme.berlin.paint.oven-1',
      type: 'EquipmentStateChanged',
      path: 'acme/berlin/paint/oven-1',
      data: { state: 'Down' },
    });
    hub.emit({
      subject: 'pg.event.equipment_state.changed.acme.berlin.assembly.line-1.press-1',
      type: 'EquipmentStateChanged',
      path: PRESS,
      data: { state: 'Down', reason: 'JAM' },
    });
    expect(await received).toMatchObject({
      topic: 'pg.event.equipment_state.changed.acme.berlin.assembly.line-1.press-1',
      payload: { state: 'Down', reason: 'JAM' },
      eventType: 'EquipmentStateChanged',
      path: PRESS,
    });
  });

  it('subscribes again after an error with backoff, and leaves nothing behind on close', async () => {
    const timersBefore = timerCount();
    hub.failSubscribe = new Error('hub restarting');
    await helper.load(nodes, [
      HUB,
      { id: 'in', type: 'plantgraph-event-in', hub: 'hub', scope: '*', types: '', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const node = helper.getNode('in');
    const seen = statuses(node);
    await until(() => seen.some((t) => t.startsWith('retry in 1s: hub restarting')), 2_000, 'retry status');
    hub.failSubscribe = null;
    await until(() => hub.liveSubscriptions.length === 1, 3_000, 'a second subscription');
    expect(hub.subscriptions).toHaveLength(2);
    const received = next(helper.getNode('out'), 'input');
    hub.emit({ subject: 's', type: 'AlertRaised', path: PRESS, data: { id: 'a1' } });
    expect((await received).payload).toEqual({ id: 'a1' });

    hub.liveSubscriptions[0]!.onError(new Error('socket closed'));
    await until(
      () => seen.some((t) => t.startsWith('retry in 1s: socket closed')),
      2_000,
      'backoff restarted after events flowed',
    );
    await helper.unload();
    expect(hub.liveSubscriptions).toEqual([]);
    expect(timerCount()).toBeLessThanOrEqual(timersBefore);
    await sleep(1_200);
    expect(hub.subscriptions).toHaveLength(2); // no re-subscribe after close
  });
});

describe('plantgraph-event-out', () => {
  it('publishes the payload as an event of the configured or message type and path', async () => {
    await helper.load(nodes, [
      HUB,
      { id: 'out', type: 'plantgraph-event-out', hub: 'hub', eventType: '', path: '', wires: [] },
    ]);
    const node = helper.getNode('out');
    node.receive({ eventType: 'MaterialStaged', path: PRESS, payload: { lot: 'L-100' } });
    node.receive({ eventType: 'Counted', path: PRESS, payload: 5 });
    await until(() => hub.events.length === 2, 2_000, 'two events');
    expect(hub.events).toEqual([
      { type: 'MaterialStaged', path: PRESS, data: { lot: 'L-100' } },
      { type: 'Counted', path: PRESS, data: { value: 5 } },
    ]);
    const error = next(node, 'call:error');
    node.receive({ eventType: 'bad type!', path: PRESS, payload: {} });
    expect(String((await error).args[0])).toMatch(/event type must be a PascalCase name like ScrapRateHigh/);
  });
});

describe('plantgraph-graphql', () => {
  it('runs the operation with variables from msg.payload and outputs data', async () => {
    hub.answer = (_q, variables) => ({ data: { equipment: { path: variables!.path, state: 'Running' } } });
    await helper.load(nodes, [
      HUB,
      {
        id: 'q',
        type: 'plantgraph-graphql',
        hub: 'hub',
        query: 'query($path: String!) { equipment(path: $path) { path state } }',
        variables: 'payload',
        wires: [['out']],
      },
      { id: 'out', type: 'helper' },
    ]);
    const received = next(helper.getNode('out'), 'input');
    helper.getNode('q').receive({ payload: { path: PRESS } });
    expect((await received).payload).toEqual({ equipment: { path: PRESS, state: 'Running' } });
    expect(hub.operations[0]).toEqual({
      query: 'query($path: String!) { equipment(path: $path) { path state } }',
      variables: { path: PRESS },
    });
  });

  it('takes a payload that is not an object (an inject timestamp) as no variables', async () => {
    hub.answer = () => ({ data: { viewer: { name: 'flows:demo' } } });
    await helper.load(nodes, [
      HUB,
      { id: 'q', type: 'plantgraph-graphql', hub: 'hub', query: '{ viewer { name } }', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    for (const payload of [1764662400000, 'tick', [1, 2], null]) {
      const received = next(helper.getNode('out'), 'input');
      helper.getNode('q').receive({ payload });
      expect((await received).payload).toEqual({ viewer: { name: 'flows:demo' } });
    }
    expect(hub.operations.map((o) => o.variables)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('fails the message with all GraphQL error messages', async () => {
    hub.answer = () => ({ errors: [{ message: 'Cannot query field "nope"' }, { message: 'Not authorised' }] });
    await helper.load(nodes, [
      HUB,
      { id: 'q', type: 'plantgraph-graphql', hub: 'hub', query: '{ nope }', variables: 'vars', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const q = helper.getNode('q');
    const outputs: unknown[] = [];
    helper.getNode('out').on('input', (m) => outputs.push(m));
    const error = next(q, 'call:error');
    q.receive({ vars: {} });
    expect(String((await error).args[0])).toBe('Error: GraphQL: Cannot query field "nope"; Not authorised');
    const notObject = next(q, 'call:error');
    q.receive({ vars: 'x' });
    expect(String((await notObject).args[0])).toMatch(/variables must be an object in msg.vars/);
    expect(outputs).toEqual([]);
  });
});
