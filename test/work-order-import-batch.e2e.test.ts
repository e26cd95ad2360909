import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Principal } from '@plantgraph/hub';
import { MODES, type Mode, startTestHub, type TestHub } from './support/harness.js';
import { LINE, must, seedSapProduct } from './support/sap-loop.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const SYSTEM = Principal.system('test');
const ANSWER = `__typename ... on WorkOrderImport { outcome message workOrder { number quantity state } }
  ... on ErrorResult { code message }`;
const IMPORT = `mutation ($inputs: [ImportWorkOrderInput!]!) { importWorkOrders(inputs: $inputs) { ${ANSWER} } }`;

const order = (n: string, extra: Record<string, unknown> = {}) => ({
  externalReference: `erp:${n}`,
  number: n,
  productDefinition: 'PD-SAP-FRAME',
  quantity: 10,
  unitOfMeasure: 'pcs',
  equipment: LINE,
  plannedStart: '2026-03-02T05:00:00.000Z',
  plannedEnd: '2026-03-02T13:00:00.000Z',
  ...extra,
});

interface Answer {
  __typename: string;
  outcome?: string;
  code?: string;
  message: string;
  workOrder?: { number: string; quantity: number; state: string };
}

/** `importWorkOrders`: an answer per order, one transaction per batch, idempotent on re-import. */
describe.each(MODES)('importing work orders in a batch (%s)', (mode: Mode) => {
  let hub: TestHub;
  const importAll = async (inputs: unknown[]) =>
    (await hub.gql<{ importWorkOrders: Answer[] }>(IMPORT, { inputs })).importWorkOrders;
  const kinds = (answers: Answer[]) => answers.map((a) => a.outcome ?? a.code);
  const events = async (type: string) =>
    Number(
      (
        await hub.db.em
          .fork()
          .execute<{ n: string }[]>(
            "select count(*) as n from event_outbox where type = ? and data->>'number' like 'B-%'",
            [type],
          )
      )[0]!.n,
    );
  const audits = async () =>
    Number(
      (
        await hub.db.em
          .fork()
          .execute<{ n: string }[]>("select count(*) as n from audit_record where action like 'WorkOrder%'")
      )[0]!.n,
    );

  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
    await seedSapProduct(hub);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  const batch = [
    order('B-1'),
    order('B-2'),
    order('B-3', { productDefinition: 'PD-NOWHERE' }),
    order('B-4', { equipment: 'acme/berlin/nowhere' }),
    order('B-5', { unitOfMeasure: 'kg' }),
    order('B-6', { externalReference: 'erp:B-1' }),
    order('B-7', { quantity: 0 }),
  ];

  it('answers each order on its own: refused orders leave the others alone', async () => {
    const answers = await importAll(batch);
    expect(kinds(answers)).toEqual([
      'Created',
      'Created',
      'UnknownReference',
      'UnknownReference',
      'InvalidInput',
      'InvalidInput',
      'InvalidInput',
    ]);
    expect(answers[0]!.workOrder).toEqual({ number: 'B-1', quantity: 10, state: 'Draft' });
    expect(answers[2]!.message).toContain('PD-NOWHERE');
    expect(answers[4]!.message).toContain('pcs');
    expect(answers[5]!.message).toContain('another number');
    // Audited and announced through the outbox like any change: once per created order.
    expect(await events('WorkOrderCreated')).toBe(2);
  });

  it('is idempotent: the same batch again changes nothing and writes no audit records or events', async () => {
    const before = await audits();
    const answers = await importAll(batch);
    expect(kinds(answers).slice(0, 2)).toEqual(['Unchanged', 'Unchanged']);
    expect(kinds(answers).slice(2)).toEqual([
      'UnknownReference',
      'UnknownReference',
      'InvalidInput',
      'InvalidInput',
      'InvalidInput',
    ]);
    expect(await audits()).toBe(before);
    expect(await events('WorkOrderCreated')).toBe(2);
    expect(await events('WorkOrderUpdated')).toBe(0);
  });

  it('updates a Draft, reports a released order as a Conflict, and repeats of one order in a batch', async () => {
    must(
      await hub.services.workOrderLifecycle.release(SYSTEM, {
        number: 'B-2',
        assignments: [{ segment: '10-assemble', equipment: LINE, operators: ['E1001'] }],
        lots: [],
      }),
    );
    const answers = await importAll([
      order('B-1', { quantity: 12 }),
      order('B-2', { quantity: 12 }),
      order('B-8'),
      order('B-8'),
    ]);
    expect(kinds(answers)).toEqual(['Updated', 'Conflict', 'Created', 'Unchanged']);
    expect(answers[0]!.workOrder!.quantity).toBe(12);
    expect(answers[1]!.workOrder).toMatchObject({ quantity: 10, state: 'Released' });
    expect(await events('WorkOrderUpdated')).toBe(1);
    // The single mutation is a batch of one: same answer.
    const single = await hub.gql(
      `mutation ($input: ImportWorkOrderInput!) { importWorkOrder(input: $input) { ${ANSWER} } }`,
      { input: order('B-1', { quantity: 12 }) },
    );
    expect(single.importWorkOrder.outcome).toBe('Unchanged');
  });

  it('writes new Drafts, their audit records and events in one go, and the audit chain still holds', async () => {
    const answers = await importAll([order('B-9'), order('B-10'), order('B-9', { quantity: 13 })]);
    // A Draft created earlier in the same batch is updated before it is written.
    expect(kinds(answers)).toEqual(['Created', 'Created', 'Updated']);
    const [row] = await hub.db.em
      .fork()
      .execute<{ id: string; quantity: string; equipment_id: string; state: string }[]>(
        "select id, quantity, equipment_id, state from work_order where number = 'B-9'",
      );
    expect(Number(row!.quantity)).toBe(13);
    expect(row!.state).toBe('Draft');
    const trail = await hub.db.em
      .fork()
      .execute<{ action: string; before: Record<string, unknown> | null; after: Record<string, unknown> }[]>(
        'select action, before, after from audit_record where entity_id = ? order by id',
        [row!.id],
      );
    expect(trail.map((r) => r.action)).toEqual(['WorkOrderCreated', 'WorkOrderUpdated']);
    // The audit record shows the row as stored, relations as ids, as for any other change.
    expect(Object.keys(trail[0]!.after).sort()).toEqual(
      [
        'id',
        'createdAt',
        'updatedAt',
        'number',
        'externalReference',
        'productDefinitionVersion',
        'quantity',
        'unitOfMeasure',
        'equipment',
        'state',
        'stateChangedAt',
        'plannedStart',
        'plannedEnd',
        'assignments',
        'campaignBatches',
      ].sort(),
    );
    expect(trail[0]!.after).toMatchObject({ id: row!.id, equipment: row!.equipment_id, quantity: 10, state: 'Draft' });
    expect(trail[1]!.before).toMatchObject({ quantity: 10 });
    expect(trail[1]!.after).toMatchObject({ quantity: 13 });
    expect(await events('WorkOrderCreated')).toBe(5);
    const { verifyAuditChain } = await hub.gql<{ verifyAuditChain: { valid: boolean; problem: string | null } }>(
      '{ verifyAuditChain { valid problem } }',
    );
    expect(verifyAuditChain).toEqual({ valid: true, problem: null });
  });

  it('refuses a batch over the bound as a whole', async () => {
    const many = Array.from({ length: 501 }, (_, i) => order(`B-X${i}`));
    await expect(importAll(many)).rejects.toThrow(/At most 500 orders/);
    expect(
      Number((await hub.db.em.fork().execute("select count(*) as n from work_order where number like 'B-X%'"))[0].n),
    ).toBe(0);
  });
});
