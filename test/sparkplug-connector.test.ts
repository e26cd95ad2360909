import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  DataType,
  loadCodec,
  parseTopic,
  parseUmhTopic,
  SignalMapper,
  SparkplugHost,
  sparkplugConnector,
  validateMapping,
  type SignalInput,
  type SparkplugMapping,
  type SparkplugPayload,
} from '@plantgraph/connector-sparkplug';
import { descriptorOf } from '../connectors/sparkplug/scripts/descriptor.mjs';
import { PAYLOAD_DESCRIPTOR } from '../connectors/sparkplug/src/payload-descriptor.js';

const PRESS = 'acme/berlin/assembly/line-1/press-1';
const DOC = {
  devices: {
    'plant/node-1/press': {
      equipment: PRESS,
      metrics: {
        Code: { signal: 'state', codes: { '1': 'Running', '2': { state: 'Down', reason: 'JAM' } } },
        Mode: { signal: 'state' },
        Good: { signal: 'good' },
        Scrap: { signal: 'scrap', counter: 'delta' },
        Cycle: { signal: 'cycle', unit: 's' },
        Temp: { signal: 'value', name: 'temperature', unit: 'degC', deadband: 0.5 },
      },
    },
  },
};
const mapping = (): SparkplugMapping => {
  const r = validateMapping(DOC);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.mapping;
};
const T = Date.UTC(2026, 0, 1, 8);

describe('Sparkplug B payloads', () => {
  it('keeps the JSON descriptor equal to the .proto it is generated from', () => {
    const fresh = descriptorOf(new URL('../connectors/sparkplug/src/sparkplug_b.proto', import.meta.url).pathname);
    expect(PAYLOAD_DESCRIPTOR).toEqual(fresh);
  });

  it('encodes and decodes every scalar type, signed ones by their two’s complement, absent fields absent', async () => {
    const codec = await loadCodec();
    const payload: SparkplugPayload = {
      timestamp: T,
      seq: 255,
      metrics: [
        { name: 'i8', alias: 0, timestamp: T, datatype: DataType.Int8, value: -100 },
        { name: 'i16', datatype: DataType.Int16, value: -30000 },
        { name: 'i32', datatype: DataType.Int32, value: -2_000_000_000 },
        { name: 'i64', datatype: DataType.Int64, value: -7 },
        { name: 'u32', datatype: DataType.UInt32, value: 4_000_000_000 },
        { name: 'u64', datatype: DataType.UInt64, value: 2 ** 40 },
        { name: 'f', datatype: DataType.Float, value: 1.5 },
        { name: 'd', datatype: DataType.Double, value: Math.PI },
        { name: 'b', datatype: DataType.Boolean, value: false },
        { name: 's', datatype: DataType.String, value: 'Running' },
        { name: 'n', datatype: DataType.Double, value: null },
      ],
    };
    const decoded = codec.decode(codec.encode(payload));
    expect(decoded).toEqual(payload);
    expect(decoded.metrics[1]).not.toHaveProperty('alias', 0); // alias 0 is an alias; absent is absent
    expect(() => codec.decode(Buffer.from([0x0a, 0xff, 0xff]))).toThrow();
  });
});

describe('loading', () => {
  it('imports neither mqtt nor protobufjs until a session opens or the codec is asked for', () => {
    const script = `import { createRequire } from 'node:module';
      const heavy = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => /node_modules.(mqtt|protobufjs)./.test(k)).length;
      const m = await import('@plantgraph/connector-sparkplug');
      const before = heavy();
      await m.loadCodec();
      console.log(JSON.stringify([before, heavy()]));`;
    const cwd = new URL('.', import.meta.url).pathname;
    const [before, after] = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd }).toString(),
    );
    expect(before).toBe(0);
    expect(after).toBeGreaterThan(0); // the check can see them when they are there
  });
});

describe('the mapping document', () => {
  it('fills the defaults', () => {
    const m = mapping().devices['plant/node-1/press']!.metrics;
    expect(m.Good).toEqual({ signal: 'good', counter: 'cumulative' });
    expect(m.Mode).toEqual({ signal: 'state', downReason: 'unspecified' });
    expect(m.Cycle).toEqual({ signal: 'cycle', unit: 's', countsPart: false });
  });

  it('names every mistake and where it is', () => {
    const r = validateMapping({
      devices: {
        'plant/node+1': { equipment: 'not a path', metrics: {} },
        'STATE/n': { equipment: PRESS, metrics: { a: { signal: 'state', codes: { '2': 'Down', '3': 'Broken' } } } },
        'g/n/d': { equipment: PRESS, metrics: { b: { signal: 'good', counter: 'total' }, 'c d': { signal: 'value' } } },
      },
      umh: { 'acme.berlin': { equipment: PRESS, metrics: { temperature: { signal: 'value' } } } },
      extra: 1,
    });
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
    expect(issues).toEqual([
      'extra: is not part of the mapping (devices, umh)',
      'devices["plant/node+1"]: must be "<group>/<edge node>" or "<group>/<edge node>/<device>" (ids without "/", "+" or "#")',
      'devices["plant/node+1"].equipment: must be an equipment path such as "acme/berlin/assembly/line-1/press-1"',
      'devices["plant/node+1"].metrics: must map at least one metric name to a signal',
      'devices["STATE/n"]: cannot use the group id "STATE": Sparkplug reserves it for host applications',
      'devices["STATE/n"].metrics["a"].codes["2"]: Down needs a reason: {"state": "Down", "reason": "<code>"}',
      'devices["STATE/n"].metrics["a"].codes["3"]: must be a state (Running, Idle, Down, Maintenance, Offline) or {"state": "Down", "reason": "<code>"}',
      'devices["g/n/d"].metrics["b"].counter: must be "cumulative" (a total the machine keeps) or "delta" (parts since the last update)',
      'devices["g/n/d"].metrics["c d"].name: must be 1-128 letters, digits, "_", ".", ":" or "-" (the metric name is not: give "name")',
      'umh["acme.berlin"].metrics["temperature"]: must be "<data contract>[.<virtual path>].<tag>", the contract starting with "_" (e.g. "_historian.good")',
    ]);
  });

  it('is checked when an instance is saved, as settings issues', () => {
    const issues = sparkplugConnector.validate!({ mapping: { devices: {} }, umh: true });
    expect(issues).toEqual([
      { field: 'mapping.devices', message: 'maps no device: add at least one "<group>/<edge node>[/<device>]"' },
    ]);
  });
});

describe('metrics to signals', () => {
  const device = 'plant/node-1/press';
  const run = (
    steps: [string, unknown, number, boolean?][],
    mapper = new SignalMapper('spB:test', () => T + 60_000),
  ) => {
    const out: SignalInput[] = [];
    const eq = mapping().devices[device]!;
    for (const [metric, value, at, birth] of steps)
      mapper.map(device, eq, metric, value as never, at, birth ?? false, out);
    return out;
  };

  it('sends the delta of a cumulative counter, from the first total on, and a reset as parts since zero', () => {
    const out = run([
      ['Good', 100, T, true],
      ['Good', 100, T + 1, true], // a rebirth repeats the total: no parts
      ['Good', 103, T + 2],
      ['Good', 2, T + 3], // reset
    ]);
    expect(out.map((s) => s.good)).toEqual([3, 2]);
    expect(out.map((s) => s.sequence)).toEqual([(T + 2) * 1000, (T + 3) * 1000]);
    expect(out[0]).toMatchObject({ kind: 'Count', path: PRESS, source: `spB:test:${device}:Good` });
  });

  it('counts delta counters and cycles from data only, never from a birth', () => {
    const out = run([
      ['Scrap', 5, T, true],
      ['Scrap', 2, T + 1],
      ['Cycle', 3, T, true],
      ['Cycle', 2.5, T + 2],
    ]);
    expect(out.map((s) => [s.kind, s.scrap ?? s.cycleTimeMs, s.good])).toEqual([
      ['Count', 2, undefined],
      ['Cycle', 2500, 0],
    ]);
  });

  it('maps states by code table or name, sends changes only, and a value outside the table not at all', () => {
    const mapper = new SignalMapper('spB:test', () => T + 60_000);
    const out = run(
      [
        ['Code', 1, T, true],
        ['Code', 1, T + 1],
        ['Code', 2, T + 2],
        ['Code', 9, T + 3],
        ['Mode', 'Down', T + 4],
      ],
      mapper,
    );
    expect(out.map((s) => [s.state, s.reason])).toEqual([
      ['Running', undefined],
      ['Down', 'JAM'],
      ['Down', 'unspecified'],
    ]);
    expect(mapper.stats.unmappedStates).toBe(1);
  });

  it('sends a process value beyond its deadband only', () => {
    const out = run([
      ['Temp', 60, T, true],
      ['Temp', 60.4, T + 1],
      ['Temp', 60.6, T + 2],
      ['Temp', 'hot', T + 3],
    ]);
    expect(out.map((s) => [s.name, s.value, s.unit])).toEqual([
      ['temperature', 60, 'degC'],
      ['temperature', 60.6, 'degC'],
    ]);
  });

  it('keeps sequences strictly increasing within one millisecond, and clock errors out of `at`', () => {
    const out = run([
      ['Scrap', 1, T],
      ['Scrap', 1, T],
      ['Scrap', 1, T + 3_600_000], // an hour ahead of the hub's clock
    ]);
    expect(out.map((s) => s.sequence)).toEqual([T * 1000, T * 1000 + 1, (T + 3_600_000) * 1000]);
    expect(out[2]!.at).toBe(new Date(T + 60_000).toISOString());
  });
});

describe('the host application', () => {
  const codecFree = (m = mapping()) => {
    const commands: string[] = [];
    let now = T;
    const host = new SparkplugHost({
      mapping: m,
      mapper: new SignalMapper('spB:test', () => now),
      command: (topic) => commands.push(topic),
      rebirthIntervalMs: 1000,
      now: () => now,
    });
    const send = (topic: string, payload: Partial<SparkplugPayload>) => {
      const out: SignalInput[] = [];
      host.handle(`spBv1.0/plant/${topic}`, { metrics: [], timestamp: now, ...payload }, out);
      return out;
    };
    return { host, commands, send, tick: (ms: number) => (now += ms) };
  };
  const birth = { seq: 0, metrics: [{ name: 'bdSeq', value: 4 }] };
  const dbirth = {
    seq: 1,
    metrics: [
      { name: 'Good', alias: 7, value: 10 },
      { name: 'Code', alias: 8, value: 1 },
    ],
  };

  it('reads topics of the namespace only', () => {
    expect(parseTopic('spBv1.0/plant/DDATA/node-1/press')).toEqual({
      group: 'plant',
      kind: 'DDATA',
      node: 'node-1',
      device: 'press',
    });
    expect(parseTopic('spBv1.0/plant/NDATA/node-1/press')).toBeNull();
    expect(parseTopic('spBv1.0/STATE/host')).toBeNull();
    expect(parseUmhTopic('umh/v1/acme/berlin/line-1/_historian/counters/good')).toEqual({
      location: 'acme.berlin.line-1',
      tag: '_historian.counters.good',
    });
    expect(parseUmhTopic('umh/v1/acme/berlin/good')).toBeNull();
  });

  it('asks a node for a rebirth on data before a birth, a sequence gap and an unknown alias, at most once a second', () => {
    const { commands, send, tick, host } = codecFree();
    send('NDATA/node-1', { seq: 5 });
    expect(commands).toEqual(['spBv1.0/plant/NCMD/node-1']);
    send('NDATA/node-1', { seq: 6 });
    expect(commands).toHaveLength(1); // rate-limited
    send('NBIRTH/node-1', birth);
    expect(send('DBIRTH/node-1/press', dbirth).map((s) => s.state)).toEqual(['Running']);
    expect(send('DDATA/node-1/press', { seq: 2, metrics: [{ alias: 7, value: 12 }] }).map((s) => s.good)).toEqual([2]);
    tick(1000);
    expect(send('DDATA/node-1/press', { seq: 4, metrics: [{ alias: 7, value: 13 }] })).toHaveLength(1);
    expect(commands).toHaveLength(2); // the gap
    tick(1000);
    send('DDATA/node-1/press', { seq: 5, metrics: [{ alias: 99, value: 1 }] });
    expect(commands).toHaveLength(3); // the alias
    expect(host.stats).toMatchObject({ sequenceGaps: 1, unknownAliases: 1, unborn: 2, rebirthRequests: 3 });
  });

  it('counts seq from 255 back to 0 without a gap', () => {
    const { send, host, commands } = codecFree();
    send('NBIRTH/node-1', { ...birth, seq: 250 });
    for (const seq of [251, 252, 253, 254, 255, 0, 1]) send('NDATA/node-1', { seq });
    expect(host.stats.sequenceGaps).toBe(0);
    send('NDATA/node-1', { seq: 1 }); // a repeat is a gap too: a message was duplicated or reordered
    expect(host.stats.sequenceGaps).toBe(1);
    expect(commands).toEqual(['spBv1.0/plant/NCMD/node-1']);
  });

  it('takes an NDEATH with its session’s bdSeq only, and a DDEATH, as Offline', () => {
    const { send } = codecFree();
    send('NBIRTH/node-1', birth);
    send('DBIRTH/node-1/press', dbirth);
    expect(send('NDEATH/node-1', { metrics: [{ name: 'bdSeq', value: 3 }] })).toEqual([]); // an earlier session's Will
    expect(send('DDEATH/node-1/press', { seq: 2 }).map((s) => s.state)).toEqual(['Offline']);
    send('DBIRTH/node-1/press', { ...dbirth, seq: 3 });
    expect(send('NDEATH/node-1', { metrics: [{ name: 'bdSeq', value: 4 }] }).map((s) => [s.path, s.state])).toEqual([
      [PRESS, 'Offline'],
    ]);
  });
});
