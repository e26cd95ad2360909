import { describe, expect, it } from 'vitest';
import { ItemSignals, mappedItems, opcUaConnector, sourceOf, validateMapping } from '@plantgraph/connector-opcua';

const PATH = 'acme/berlin/assembly/line-1/press-1';
const settings = (mapping: unknown, extra: Record<string, unknown> = {}) => ({
  endpointUrl: 'opc.tcp://127.0.0.1:4840',
  securityMode: 'None',
  securityPolicy: 'None',
  mapping,
  ...extra,
});

describe('OPC UA mapping: validation', () => {
  it('names each mistake by its place in the document', () => {
    const issues = validateMapping({
      equipment: [
        {
          path: 'not a path',
          state: { nodeId: 'Press1.State', codes: { '1': 'Running', '3': 'Down', '4': 'Broken' } },
          good: { nodeId: 'ns=1;s=a', counter: 'total' },
          scrap: { nodeId: 'ns=1;s=a', counter: 'delta' },
          cycle: { nodeId: 'ns=1;s=c', unit: 'min' },
          values: [{ nodeId: 'ns=1;i=7', name: 'temp erature', deadband: { type: 'percent', value: 120 } }],
          colour: 'red',
        },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual([
      'equipment[0].colour',
      'equipment[0].path',
      'equipment[0].state.nodeId',
      'equipment[0].state.codes.3',
      'equipment[0].state.codes.4',
      'equipment[0].good.counter',
      'equipment[0].scrap.nodeId',
      'equipment[0].cycle.unit',
      'equipment[0].values[0].name',
      'equipment[0].values[0].deadband.value',
    ]);
    expect(issues.find((i) => i.path === 'equipment[0].state.codes.3')!.message).toContain('Down needs a reason');
    expect(issues.find((i) => i.path === 'equipment[0].scrap.nodeId')!.message).toContain('mapped already at');
  });

  it('is checked when an instance is saved, with the security settings', () => {
    const ok = { equipment: [{ path: PATH, good: { nodeId: 'ns=1;s=g', counter: 'cumulative' } }] };
    expect(opcUaConnector.validate!(settings(ok))).toEqual([]);
    expect(opcUaConnector.validate!(settings({ equipment: [] }))).toEqual([]); // empty: to browse first
    expect(opcUaConnector.validate!(settings(ok, { securityPolicy: 'Basic256Sha256' }))).toEqual([
      { field: 'securityPolicy', message: 'Basic256Sha256 does not go with securityMode None: None goes with None' },
    ]);
    expect(opcUaConnector.validate!(settings({ machines: [] }))[0]!.field).toBe('mapping.equipment');
  });
});

describe('OPC UA mapping: changes to signals', () => {
  const item = (mapping: Record<string, unknown>) =>
    mappedItems({ equipment: [{ path: PATH, ...mapping }] } as never, 100)[0]!;
  const at = (ms: number, micros = 0) => ({ good: true, ms, micros });
  const T = Date.UTC(2026, 11, 2, 12);

  it('counts a cumulative counter by differences, across a reset, and not twice', () => {
    const s = new ItemSignals(item({ good: { nodeId: 'ns=1;s=g', counter: 'cumulative' } }), 'p1', null);
    expect(s.map({ value: 100, ...at(T) })).toEqual({ skip: null }); // the baseline
    const first = s.map({ value: 103, ...at(T + 10, 5) });
    expect(first).toMatchObject({ signal: { kind: 'Count', good: 3, sequence: (T + 10) * 1000 + 5, path: PATH } });
    expect(s.map({ value: 103, ...at(T + 10, 5) })).toEqual({ skip: null }); // sent again by the server
    expect(s.map({ value: 2, ...at(T + 20) })).toMatchObject({ signal: { good: 2 } }); // reset to 0, then 2
    expect(s.source).toBe('opcua:p1:ns=1;s=g');
  });

  it('gives two changes in one µs distinct sequences; a restarted server re-stamping a value sends nothing', () => {
    const s = new ItemSignals(item({ cycle: { nodeId: 'ns=1;s=c', unit: 's' } }), 'p1', null);
    const a = s.map({ value: 1.5, ...at(T) });
    const b = s.map({ value: 1.6, ...at(T) });
    expect(a).toMatchObject({ signal: { kind: 'Cycle', cycleTimeMs: 1500, good: 1, sequence: T * 1000 } });
    expect(b).toMatchObject({ signal: { cycleTimeMs: 1600, sequence: T * 1000 + 1 } });
    s.resubscribed();
    expect(s.map({ value: 1.6, ...at(T + 5000) })).toEqual({ skip: null });
    expect(s.map({ value: 1.6, ...at(T + 6000) })).toMatchObject({ signal: { cycleTimeMs: 1600 } });
  });

  it('maps state codes with reasons and skips an unknown code', () => {
    const s = new ItemSignals(
      item({ state: { nodeId: 'ns=1;s=s', codes: { '1': 'Running', '5': { state: 'Down', reason: 'jam' } } } }),
      'p1',
      null,
    );
    expect(s.map({ value: 5, ...at(T) })).toMatchObject({ signal: { kind: 'State', state: 'Down', reason: 'jam' } });
    expect(s.map({ value: 9, ...at(T + 1) })).toEqual({ skip: 'ns=1;s=s: value 9 is not in the code table' });
    expect(s.map({ value: 1, good: false, ms: T + 2, micros: 0 })).toEqual({ skip: null }); // bad status
  });

  it('hashes a source that would be longer than the hub takes', () => {
    const long = `ns=2;s=${'x'.repeat(200)}`;
    expect(sourceOf('p1', long)).toMatch(/^opcua:p1:#[0-9a-f]{32}$/);
  });
});
