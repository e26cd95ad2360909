import { describe, expect, it } from 'vitest';
import {
  customOperation,
  genealogyItems,
  OPERATIONS,
  pageOf,
  toItems,
  unionFailure,
  valueAt,
} from '../../flows/n8n/nodes/PlantGraph/operations.js';

const param = (values: Record<string, unknown>) => (name: string, fallback?: unknown) => values[name] ?? fallback;
const op = (resource: string, operation: string) => OPERATIONS[resource]![operation]!;

// Each operation's request (document and variables from the node's parameters) and answer mapping.
describe('n8n PlantGraph operations: request building', () => {
  it('builds the work order operations', () => {
    const get = op('workOrder', 'get');
    expect(get.document).toMatch(/workOrder\(number: \$number\)/);
    expect(get.variables(param({ number: ' WO-1 ' }))).toEqual({ number: 'WO-1' });

    const list = op('workOrder', 'getAll');
    expect(list.paged).toBe(true);
    expect(list.document).toMatch(/workOrders\(first: \$first, after: \$after, filter: \$filter\)/);
    expect(list.variables(param({ states: ['Released', 'Paused'], equipmentPrefix: 'acme/berlin' }))).toEqual({
      filter: { state: ['Released', 'Paused'], equipmentPrefix: 'acme/berlin' },
    });
    expect(list.variables(param({ states: [] }))).toEqual({ filter: {} });

    const create = op('workOrder', 'create');
    expect(create.success).toBe('WorkOrder');
    expect(
      create.variables(
        param({ number: 'WO-9', productDefinition: 'BRACKET-A', quantity: '120', equipment: 'acme/l1', version: 0 }),
      ),
    ).toEqual({ input: { number: 'WO-9', productDefinition: 'BRACKET-A', quantity: 120, equipment: 'acme/l1' } });

    const release = op('workOrder', 'release');
    expect(
      release.variables(
        param({
          number: 'WO-9',
          assignments: { assignment: [{ segment: '10', equipment: 'acme/l1/press-1', operators: 'E1, E2,' }] },
        }),
      ),
    ).toEqual({
      input: {
        number: 'WO-9',
        assignments: [{ segment: '10', equipment: 'acme/l1/press-1', operators: ['E1', 'E2'] }],
      },
    });
    for (const [name, mutation, reason] of [
      ['pause', 'pauseWorkOrder', 'material short'],
      ['resume', 'resumeWorkOrder', undefined],
      ['cancel', 'cancelWorkOrder', 'customer cancelled'],
    ] as const) {
      const transition = op('workOrder', name);
      expect(transition.field).toBe(mutation);
      expect(transition.document).toContain(`${mutation}(input: $input)`);
      expect(transition.variables(param({ number: 'WO-9', reason: 'material short' }))).toEqual({
        input: reason ? { number: 'WO-9', reason: 'material short' } : { number: 'WO-9' },
      });
    }
  });

  it('builds the alert operations', () => {
    expect(
      op('alert', 'raise').variables(
        param({ path: 'acme/l1/press-1', deduplicationKey: 'jam', severity: 'High', title: 'Jam', description: '' }),
      ),
    ).toEqual({ input: { path: 'acme/l1/press-1', deduplicationKey: 'jam', severity: 'High', title: 'Jam' } });
    const ack = op('alert', 'acknowledge');
    expect(ack.document).toContain('acknowledgeAlert(id: $id, comment: $comment)');
    expect(ack.variables(param({ alertId: 'a-1', comment: 'on my way' }))).toEqual({ id: 'a-1', comment: 'on my way' });
    expect(op('alert', 'clear').variables(param({ alertId: 'a-1' }))).toEqual({ id: 'a-1' });
    expect(op('alert', 'getAll').variables(param({ alertStates: ['Active'], minSeverity: 'High' }))).toEqual({
      filter: { state: ['Active'], minSeverity: 'High' },
    });
  });

  it('builds equipment, signal, material lot and GraphQL operations', () => {
    expect(op('equipment', 'get').variables(param({ path: 'acme/l1' }))).toEqual({ path: 'acme/l1' });
    expect(op('equipment', 'getAll').variables(param({ pathPrefix: 'acme', equipmentStates: ['Down'] }))).toEqual({
      filter: { pathPrefix: 'acme', state: ['Down'] },
    });
    const history = op('equipment', 'stateHistory');
    expect(history.field).toBe('equipment.stateHistory');
    expect(history.document).toMatch(/stateHistory\(first: \$first, after: \$after\)/);

    const publish = op('signal', 'publish');
    const common = { path: 'acme/l1/press-1', source: 'n8n', sequence: 7 };
    expect(publish.variables(param({ ...common, kind: 'State', state: 'Down', reason: 'jam' }))).toEqual({
      signals: [{ kind: 'State', ...common, state: 'Down', reason: 'jam' }],
    });
    expect(publish.variables(param({ ...common, kind: 'Count', good: 10, scrap: 1 }))).toEqual({
      signals: [{ kind: 'Count', ...common, good: 10, scrap: 1, rework: 0 }],
    });
    expect(
      publish.variables(param({ ...common, kind: 'Value', name: 'temperature', value: 71.5, unit: 'Cel' })),
    ).toEqual({
      signals: [{ kind: 'Value', ...common, name: 'temperature', value: 71.5, unit: 'Cel' }],
    });

    expect(op('materialLot', 'get').variables(param({ lotNumber: 'L-1' }))).toEqual({ lotNumber: 'L-1' });
    expect(op('materialLot', 'genealogy').document).toMatch(/genealogyInputs .* genealogyOutputs/s);

    const custom = customOperation(param({ query: '{ viewer { name } }', variables: '{"a": 1}' }));
    expect([custom.document, custom.variables(param({}))]).toEqual(['{ viewer { name } }', { a: 1 }]);
    expect(customOperation(param({ query: 'q', variables: { b: 2 } })).variables(param({}))).toEqual({ b: 2 });
    expect(() => customOperation(param({ query: 'q', variables: '{nope' }))).toThrow(SyntaxError);
  });
});

describe('n8n PlantGraph operations: answer mapping', () => {
  it('flattens single-field references and drops the union typename', () => {
    const items = toItems(op('workOrder', 'get'), {
      __typename: 'WorkOrder',
      number: 'WO-1',
      equipment: { path: 'acme/l1' },
      counts: { good: 1, scrap: 0, rework: 0 },
    });
    expect(items).toEqual([{ number: 'WO-1', equipment: 'acme/l1', counts: { good: 1, scrap: 0, rework: 0 } }]);
  });

  it("tells a result union's failure member from success, with the hub's code and message", () => {
    const ack = op('alert', 'acknowledge');
    expect(unionFailure(ack, { __typename: 'Alert', id: 'a' })).toBeNull();
    expect(
      unionFailure(op('workOrder', 'pause'), {
        __typename: 'InvalidTransition',
        code: 'InvalidTransition',
        message: 'Draft cannot go to Paused',
        allowedStates: ['Released'],
      }),
    ).toEqual({
      typename: 'InvalidTransition',
      code: 'InvalidTransition',
      message: 'Draft cannot go to Paused',
      details: { allowedStates: ['Released'] },
    });
    expect(unionFailure(op('workOrder', 'get'), { number: 'x' })).toBeNull(); // not a union
  });

  it('reads pages, dotted fields and genealogy links', () => {
    expect(pageOf({ edges: [{ node: { a: 1 } }], pageInfo: { hasNextPage: true, endCursor: 'c1' } })).toEqual({
      nodes: [{ a: 1 }],
      next: 'c1',
    });
    expect(pageOf({ edges: [], pageInfo: { hasNextPage: false, endCursor: 'c1' } }).next).toBeNull();
    expect(valueAt({ equipment: { stateHistory: { x: 1 } } }, 'equipment.stateHistory')).toEqual({ x: 1 });
    expect(valueAt({ equipment: null }, 'equipment.stateHistory')).toBeUndefined();
    const lot = {
      lotNumber: 'L-9',
      genealogyInputs: [{ lotNumber: 'L-1', via: 'WO-1', quantity: 2, depth: 1, lot: { status: 'Released' } }],
      genealogyOutputs: [{ lotNumber: 'L-20', via: 'WO-5', quantity: 1, depth: 1, lot: null }],
    };
    expect(genealogyItems(lot, 'up')).toEqual([
      {
        ofLot: 'L-9',
        direction: 'up',
        lotNumber: 'L-1',
        via: 'WO-1',
        quantity: 2,
        depth: 1,
        lot: { status: 'Released' },
      },
    ]);
    expect(genealogyItems(lot, 'down').map((l) => [l.lotNumber, l.lot])).toEqual([['L-20', null]]);
  });
});
