import { describe, expect, it } from 'vitest';
import { PlantGraph } from '../../flows/n8n/nodes/PlantGraph/PlantGraph.node.js';
import { PlantGraphTrigger } from '../../flows/n8n/nodes/PlantGraphTrigger/PlantGraphTrigger.node.js';
import { PlantGraphApi } from '../../flows/n8n/credentials/PlantGraphApi.credentials.js';
import { NodeApiError, NodeOperationError } from './n8n-workflow-stub.js';
import { data, executeContext, fakeHub, pollContext } from './fake-n8n.js';

const run = (ctx: unknown) => new PlantGraph().execute.call(ctx as never);
const poll = (ctx: unknown) => new PlantGraphTrigger().poll.call(ctx as never);
const page = (nodes: unknown[], endCursor: string | null, hasNextPage: boolean) => ({
  edges: nodes.map((node) => ({ node })),
  pageInfo: { hasNextPage, endCursor },
});
const log = (events: unknown[], endCursor: string, hasMore = false) =>
  data({ hubEventLog: { events, endCursor, hasMore } });
const event = (type: string, fields: Record<string, unknown>, cursor: string) => ({
  type,
  path: fields.path ?? null,
  subject: `pg.event.alert.changed.${cursor}`,
  data: JSON.stringify({ type, ...fields }),
  cursor,
});

describe('n8n PlantGraph node', () => {
  it('posts the operation to <hub>/graphql with the credential and maps the answer per item', async () => {
    const hub = fakeHub([data({ acknowledgeAlert: { __typename: 'Alert', id: 'a-1', state: 'Acknowledged' } })]);
    const out = await run(
      executeContext(hub, [{ resource: 'alert', operation: 'acknowledge', alertId: 'a-1', comment: 'on it' }]),
    );
    expect(hub.sent).toEqual([
      {
        url: 'http://hub.test:4000/graphql',
        credential: 'plantGraphApi',
        query: expect.stringContaining('acknowledgeAlert(id: $id, comment: $comment)'),
        variables: { id: 'a-1', comment: 'on it' },
      },
    ]);
    expect(out).toEqual([[{ json: { id: 'a-1', state: 'Acknowledged' }, pairedItem: { item: 0 } }]]);
  });

  it('pages through a list with Return All, and stops at the limit otherwise', async () => {
    const hub = fakeHub([
      data({ workOrders: page([{ number: 'WO-1' }, { number: 'WO-2' }], 'c2', true) }),
      data({ workOrders: page([{ number: 'WO-3' }], 'c3', false) }),
    ]);
    const out = await run(
      executeContext(hub, [
        { resource: 'workOrder', operation: 'getAll', returnAll: true, filters: { states: ['Released'] } },
      ]),
    );
    expect(out[0]!.map((i) => i.json.number)).toEqual(['WO-1', 'WO-2', 'WO-3']);
    expect(hub.sent.map((s) => [s.variables.first, s.variables.after, s.variables.filter])).toEqual([
      [500, null, { state: ['Released'] }],
      [500, 'c2', { state: ['Released'] }],
    ]);

    const limited = fakeHub([data({ alerts: page([{ id: '1' }, { id: '2' }], 'c', true) })]);
    const two = await run(executeContext(limited, [{ resource: 'alert', operation: 'getAll', limit: 2 }]));
    expect(two[0]).toHaveLength(2);
    expect(limited.sent).toHaveLength(1);
    expect(limited.sent[0]!.variables.first).toBe(2);
  });

  it("fails with the hub's message and code on a result union's failure, or reports it with Continue On Fail", async () => {
    const refusal = {
      __typename: 'InvalidTransition',
      code: 'InvalidTransition',
      message: 'WO-1 is Draft; pause needs InProgress',
      currentState: 'Draft',
    };
    const params = [{ resource: 'workOrder', operation: 'pause', number: 'WO-1', reason: 'short' }];
    const error = await run(executeContext(fakeHub([data({ pauseWorkOrder: refusal })]), params)).catch((e) => e);
    expect(error).toBeInstanceOf(NodeOperationError);
    expect(error.message).toBe('WO-1 is Draft; pause needs InProgress');
    expect(error.description).toMatch(/InvalidTransition.*"currentState":"Draft"/);
    expect(error.context.itemIndex).toBe(0);

    const out = await run(executeContext(fakeHub([data({ pauseWorkOrder: refusal })]), params, true));
    expect(out[0]![0]!.json).toMatchObject({ error: 'WO-1 is Draft; pause needs InProgress' });
  });

  it('turns GraphQL errors into a NodeApiError with the code, and a missing record into not found', async () => {
    const denied = fakeHub([
      { statusCode: 200, body: { errors: [{ message: 'Not allowed here', extensions: { code: 'FORBIDDEN' } }] } },
    ]);
    const error = await run(executeContext(denied, [{ resource: 'equipment', operation: 'get', path: 'x/y' }])).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(NodeApiError);
    expect([error.message, error.context.hub.code, error.httpCode]).toEqual(['Not allowed here', 'FORBIDDEN', '200']);

    const unauthorised = fakeHub([{ statusCode: 401, body: 'Unauthorized' }]);
    const e401 = await run(
      executeContext(unauthorised, [{ resource: 'equipment', operation: 'get', path: 'x' }]),
    ).catch((e) => e);
    expect([e401.constructor, e401.httpCode]).toEqual([NodeApiError, '401']);

    const missing = fakeHub([data({ materialLot: null })]);
    const nf = await run(
      executeContext(missing, [{ resource: 'materialLot', operation: 'get', lotNumber: 'L-0' }]),
    ).catch((e) => e);
    expect(nf.message).toBe('No material lot "L-0" (or none you may read)');
  });

  it('runs a GraphQL escape hatch and lists genealogy down as one item per lot', async () => {
    const hub = fakeHub([
      data({ viewer: { name: 'api-key:n8n' } }),
      data({
        materialLot: { lotNumber: 'L-1', genealogyInputs: [], genealogyOutputs: [{ lotNumber: 'L-2', lot: null }] },
      }),
    ]);
    const out = await run(
      executeContext(hub, [
        { resource: 'graphql', operation: 'execute', query: '{ viewer { name } }', variables: '{}' },
        { resource: 'materialLot', operation: 'genealogy', lotNumber: 'L-1', direction: 'down' },
      ]),
    );
    expect(out[0]!.map((i) => i.json)).toEqual([
      { viewer: { name: 'api-key:n8n' } },
      { ofLot: 'L-1', direction: 'down', lotNumber: 'L-2', lot: null },
    ]);
  });

  it('loads dropdowns from the hub, and falls back to the known values where introspection is refused', async () => {
    const node = new PlantGraph();
    const ctx = (hub: ReturnType<typeof fakeHub>) => executeContext(hub, []) as never;
    const states = fakeHub([data({ __type: { enumValues: [{ name: 'Running', description: 'on' }] } })]);
    expect(await node.methods.loadOptions.getEquipmentStates.call(ctx(states))).toEqual([
      { name: 'Running', value: 'Running', description: 'on' },
    ]);
    const refused = fakeHub([{ statusCode: 400, body: { errors: [{ message: 'introspection is off' }] } }]);
    expect((await node.methods.loadOptions.getAlertSeverities.call(ctx(refused))).map((o) => o.value)).toEqual([
      'Info',
      'Low',
      'Medium',
      'High',
      'Critical',
    ]);
    const equipment = fakeHub([
      data({ equipmentList: page([{ path: 'acme/l1', name: 'Line 1', level: 'ProductionLine' }], 'e1', true) }),
      data({ equipmentList: page([{ path: 'acme/l1/p1', name: 'Press', level: 'WorkUnit' }], 'e2', false) }),
    ]);
    expect((await node.methods.loadOptions.getEquipmentPaths.call(ctx(equipment))).map((o) => o.value)).toEqual([
      'acme/l1',
      'acme/l1/p1',
    ]);
  });

  it('declares a credential whose test calls viewer with the key as a bearer token', () => {
    const cred = new PlantGraphApi();
    expect(cred.displayName).toBe('PlantGraph API');
    expect(cred.test.request).toMatchObject({
      url: '/graphql',
      method: 'POST',
      body: { query: '{ viewer { name kind } }' },
    });
    expect(cred.authenticate.properties.headers).toEqual({ Authorization: '=Bearer {{$credentials.apiKey}}' });
  });
});

describe('n8n PlantGraph Trigger', () => {
  const params = { events: ['alertRaised', 'alertEscalated'], scope: 'acme/berlin', minSeverity: 'Medium' };

  it('starts at the hub position, then emits each event after the stored cursor once', async () => {
    const hub = fakeHub([
      log([], 'c0'),
      log([event('AlertRaised', { id: 'a-1', path: 'acme/berlin/p1', severity: 'High' }, 'c1')], 'c2', true),
      log([event('AlertEscalated', { id: 'a-1', path: 'acme/berlin/p1', severity: 'Low' }, 'c3')], 'c3'),
      log([], 'c3'),
    ]);
    const ctx = pollContext(hub, params);
    expect(await poll(ctx)).toBeNull();
    expect(ctx.staticData.cursor).toBe('c0');
    expect(hub.sent[0]!.variables).toEqual({
      scope: 'acme/berlin',
      types: ['AlertRaised', 'AlertEscalated'],
      after: null,
      first: 100,
    });
    const out = await poll(ctx);
    // The Low escalation is read (and passed) but below the minimum severity.
    expect(out![0]!.map((i) => [i.json.id, i.json.type, i.json.cursor])).toEqual([['a-1', 'AlertRaised', 'c1']]);
    expect(hub.sent.slice(1).map((s) => s.variables.after)).toEqual(['c0', 'c2']);
    expect(ctx.staticData.cursor).toBe('c3');
    expect(await poll(ctx)).toBeNull();
    expect(hub.sent[3]!.variables.after).toBe('c3');
  });

  it('offers the equipment paths the credential may read as scopes, and * first', async () => {
    const hub = fakeHub([
      data({ equipmentList: page([{ path: 'acme/berlin', name: 'Berlin', level: 'Site' }], null, false) }),
    ]);
    const scopes = await new PlantGraphTrigger().methods.loadOptions.getScopes.call(pollContext(hub, {}) as never);
    expect(scopes.map((o) => o.value)).toEqual(['*', 'acme/berlin']);
  });

  it('does not move the cursor when run by hand', async () => {
    const hub = fakeHub([log([event('AlertRaised', { id: 'a-2', severity: 'High' }, 'c5')], 'c5')]);
    const ctx = pollContext(hub, params, { cursor: 'c4' });
    ctx.mode = 'manual';
    expect((await poll(ctx))![0]).toHaveLength(1);
    expect(ctx.staticData.cursor).toBe('c4');
  });

  it('after an outage longer than the hub keeps events, says so and reads on from the oldest kept', async () => {
    const expired = {
      statusCode: 200,
      body: { errors: [{ message: 'too old', extensions: { code: 'CURSOR_EXPIRED', oldestCursor: 'c100' } }] },
    };
    const ctx = pollContext(fakeHub([expired]), params, { cursor: 'c1' });
    await expect(poll(ctx)).rejects.toThrow(/no longer kept/);
    expect(ctx.staticData.cursor).toBe('c100');
    const other = pollContext(fakeHub([{ statusCode: 401, body: 'no' }]), params, { cursor: 'c1' });
    await expect(poll(other)).rejects.toBeInstanceOf(NodeApiError);
    expect(other.staticData.cursor).toBe('c1');
  });
});
