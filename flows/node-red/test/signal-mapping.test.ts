import { describe, expect, it } from 'vitest';
import { EquipmentSignalMapper } from '../src/logic/equipment-signal-mapper.js';
import {
  CumulativeCounter,
  Deadband,
  mapState,
  parseStateMap,
  scale,
  TopicMapping,
} from '../src/logic/signal-mapping.js';

const PRESS = 'acme/berlin/assembly/line-1/press-1';

describe('state maps', () => {
  it('reads the short form with reasons', () => {
    const map = parseStateMap('1=Running, 0=Idle, 2=Down:JAM');
    expect(mapState(1, map)).toEqual({ state: 'Running' });
    expect(mapState('0', map)).toEqual({ state: 'Idle' });
    expect(mapState(2, map)).toEqual({ state: 'Down', reason: 'JAM' });
  });

  it('reads JSON, maps booleans, passes state names through', () => {
    const map = parseStateMap('{"true":"Running","0":{"state":"Down","reason":"E-STOP"}}');
    expect(mapState(true, map)).toEqual({ state: 'Running' });
    expect(mapState(false, map)).toEqual({ state: 'Down', reason: 'E-STOP' });
    expect(mapState('Maintenance', map)).toEqual({ state: 'Maintenance' });
  });

  it('names what is wrong', () => {
    expect(() => parseStateMap('1=Runing')).toThrow(/"Runing" is not an equipment state/);
    expect(() => parseStateMap('Running')).toThrow(/must look like 1=Running/);
    expect(() => parseStateMap('{"1": 5}')).toThrow(/entry "1"/);
    expect(() => mapState(7, parseStateMap('1=Running'))).toThrow(/no equipment state for value 7/);
  });
});

describe('scaling, deadband and counters', () => {
  it('scales value * factor + offset', () => {
    expect(scale(20, 0.1, -1)).toBe(1);
    expect(scale(5)).toBe(5);
  });

  it('publishes a process value only when it left the deadband of the last published value', () => {
    const band = new Deadband(0.5);
    const admitted = [20, 20.3, 20.49, 20.5, 20.2, 19.99, 19.5].filter((v) => band.admit('t', v));
    // 20.5 is 0.5 from 20 (published); 20.2 is within 0.5 of 20.5, 19.99 is not; 19.5 is within 0.5 of 19.99.
    expect(admitted).toEqual([20, 20.5, 19.99]);
  });

  it('keeps deadbands per key and publishes everything with a zero band', () => {
    const band = new Deadband(1);
    expect([band.admit('a', 1), band.admit('b', 1.1), band.admit('a', 1.5)]).toEqual([true, true, false]);
    const none = new Deadband(0);
    expect([none.admit('a', 1), none.admit('a', 1)]).toEqual([true, true]);
  });

  it('turns a cumulative counter into increments and survives a reset', () => {
    const c = new CumulativeCounter();
    expect([100, 103, 103, 110, 4, 9].map((t) => c.increment('press', t))).toEqual([null, 3, 0, 7, 4, 5]);
  });
});

describe('topic mapping', () => {
  const mapping = new TopicMapping(
    'plant/{line}/{machine}/state => acme/berlin/assembly/{line}/{machine}\nsite/+/#=> acme/{#}',
  );

  it('captures levels into the path template; first match wins', () => {
    expect(mapping.pathFor('plant/line-1/press-1/state')).toBe(PRESS);
    expect(mapping.pathFor('site/x/berlin/paint')).toBe('acme/berlin/paint');
    expect(mapping.pathFor('plant/line-1/state')).toBeNull();
    expect(mapping.pathFor('plant/line-1/press-1/state/extra')).toBeNull();
  });

  it('refuses malformed rules', () => {
    expect(() => new TopicMapping('a/b')).toThrow(/must look like/);
    expect(() => new TopicMapping('a/#/b => x')).toThrow(/# may only be the last level/);
  });
});

describe('equipment signal mapper', () => {
  it('maps a state with the reason from the map, msg or default, and requires one for Down', () => {
    const m = new EquipmentSignalMapper({ kind: 'state', path: PRESS, stateMap: '1=Running,2=Down:JAM,3=Down' });
    expect(m.map({ value: 2 })).toEqual({
      publish: { kind: 'state', path: PRESS, fields: { state: 'Down', reason: 'JAM' } },
    });
    expect(m.map({ value: 3, reason: 'TOOL' })).toEqual({
      publish: { kind: 'state', path: PRESS, fields: { state: 'Down', reason: 'TOOL' } },
    });
    expect(() => m.map({ value: 3 })).toThrow(/Down needs a reason/);
    const withDefault = new EquipmentSignalMapper({
      kind: 'state',
      path: PRESS,
      stateMap: '3=Down',
      defaultReason: 'UNKNOWN',
    });
    expect(withDefault.map({ value: 3 })).toMatchObject({ publish: { fields: { reason: 'UNKNOWN' } } });
  });

  it('skips unchanged states when asked to', () => {
    const m = new EquipmentSignalMapper({
      kind: 'state',
      path: PRESS,
      stateMap: '1=Running,0=Idle',
      onlyOnChange: true,
    });
    expect([1, 1, 0, 1].map((v) => 'publish' in m.map({ value: v }))).toEqual([true, false, true, true]);
  });

  it('takes the path from config, then msg.path, then the topic mapping', () => {
    const m = new EquipmentSignalMapper({
      kind: 'value',
      topicMapping: 'plant/{line}/{machine}/temp => acme/berlin/assembly/{line}/{machine}',
    });
    expect(m.map({ value: 21.5, topic: 'plant/line-1/press-1/temp' })).toEqual({
      publish: { kind: 'value', path: PRESS, fields: { name: 'temp', value: 21.5 } },
    });
    expect(m.map({ value: 1, path: 'acme/x', topic: 'plant/line-1/press-1/temp' })).toMatchObject({
      publish: { path: 'acme/x' },
    });
    expect(() => m.map({ value: 1, topic: 'other/topic' })).toThrow(
      /no topic mapping rule matches topic "other\/topic"/,
    );
    expect(() => new EquipmentSignalMapper({ kind: 'value' }).map({ value: 1 })).toThrow(/no equipment path/);
  });

  it('scales process values, applies the deadband after scaling and names the value', () => {
    const m = new EquipmentSignalMapper({
      kind: 'value',
      path: PRESS,
      factor: 0.1,
      offset: 0,
      deadband: 0.5,
      valueName: 'temperature',
      unit: '°C',
    });
    expect(m.map({ value: 200 })).toEqual({
      publish: { kind: 'value', path: PRESS, fields: { name: 'temperature', value: 20, unit: '°C' } },
    });
    expect(m.map({ value: 204 })).toEqual({ skip: 'deadband' });
    expect(m.map({ value: '206' })).toMatchObject({ publish: { fields: { value: 20.6 } } });
    expect(() => m.map({ value: 'hot' })).toThrow(/not a number/);
  });

  it('counts increments, objects of counts, and refuses zero or negative parts', () => {
    const m = new EquipmentSignalMapper({ kind: 'count', path: PRESS, countField: 'scrap' });
    expect(m.map({ value: 2 })).toEqual({ publish: { kind: 'count', path: PRESS, fields: { scrap: 2 } } });
    expect(m.map({ value: { good: 10, scrap: 1 } })).toMatchObject({ publish: { fields: { good: 10, scrap: 1 } } });
    expect(m.map({ value: 0 })).toEqual({ skip: 'zero parts' });
    expect(() => m.map({ value: -1 })).toThrow(/must not be negative/);
  });

  it('converts cumulative totals per path and field, handling a counter reset', () => {
    const m = new EquipmentSignalMapper({ kind: 'count', path: PRESS, countMode: 'cumulative' });
    const results = [5000, 5003, 5003, 2].map((v) => m.map({ value: v }));
    expect(results).toEqual([
      { skip: 'no new parts' },
      { publish: { kind: 'count', path: PRESS, fields: { good: 3 } } },
      { skip: 'no new parts' },
      { publish: { kind: 'count', path: PRESS, fields: { good: 2 } } },
    ]);
  });

  it('maps cycle times in ms (scaled from seconds) with optional parts and a timestamp', () => {
    const m = new EquipmentSignalMapper({ kind: 'cycle', path: PRESS, factor: 1000 });
    expect(m.map({ value: 12.5, at: 1_760_000_000_000 })).toEqual({
      publish: {
        kind: 'cycle',
        path: PRESS,
        fields: { cycleTimeMs: 12_500, at: new Date(1_760_000_000_000).toISOString() },
      },
    });
    expect(m.map({ value: { cycleTimeMs: 3, scrap: 1 } })).toMatchObject({
      publish: { fields: { cycleTimeMs: 3000, scrap: 1 } },
    });
    expect(() => m.map({ value: 0 })).toThrow(/positive/);
    expect(() => m.map({ value: 1, at: 'yesterday' })).toThrow(/msg.at is not a time/);
  });

  it('undoes what it remembered of a signal the hub did not take', () => {
    const values = new EquipmentSignalMapper({ kind: 'value', path: PRESS, deadband: 1, valueName: 't' });
    const first = values.map({ value: 20 });
    if (!('publish' in first)) throw new Error('expected a signal');
    values.failed(first.publish);
    expect(values.map({ value: 20.2 })).toMatchObject({ publish: { fields: { value: 20.2 } } }); // not held back by a value the hub never saw

    const states = new EquipmentSignalMapper({ kind: 'state', path: PRESS, onlyOnChange: true });
    const running = states.map({ value: 'Running' });
    if (!('publish' in running)) throw new Error('expected a signal');
    states.failed(running.publish);
    expect(states.map({ value: 'Running' })).toMatchObject({ publish: { fields: { state: 'Running' } } });

    const counts = new EquipmentSignalMapper({ kind: 'count', path: PRESS, countMode: 'cumulative' });
    counts.map({ value: 100 });
    const lost = counts.map({ value: { good: 104, scrap: 1 } }); // scrap's first total: baseline only
    if (!('publish' in lost)) throw new Error('expected a signal');
    counts.failed(lost.publish);
    expect(counts.map({ value: { good: 106, scrap: 3 } })).toEqual({
      publish: { kind: 'count', path: PRESS, fields: { good: 6, scrap: 2 } },
    });
  });
});
