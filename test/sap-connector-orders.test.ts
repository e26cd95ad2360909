// Inbound: polling production orders by change date with a cursor, and the on-demand read of one order.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedOrdersFilter, SapS4HanaClient, type SapProductionOrder } from '@plantgraph/connector-sap-s4hana';
import { startSapSimulator, type SapSimulator } from './support/sap-simulator/index.js';

let sim: SapSimulator;
let sap: SapS4HanaClient;

beforeAll(async () => {
  sim = await startSapSimulator({ maxPageSize: 4 });
  sap = new SapS4HanaClient({ baseUrl: sim.url });
});
afterAll(() => sim.close());

/** Polls until no page is left, the way the runtime's poller would. */
async function pollAll(
  cursor: string,
  plants?: string[],
): Promise<{ orders: SapProductionOrder[]; cursor: string; pages: number }> {
  const orders: SapProductionOrder[] = [];
  let pages = 0;
  for (;;) {
    const page = await sap.listChangedOrders({ cursor, plants, pageSize: 3 });
    pages++;
    orders.push(...page.orders);
    cursor = page.nextCursor;
    if (!page.more || pages > 50) return { orders, cursor, pages };
  }
}

describe('SAP connector: production orders', () => {
  it('reads an order with its operations in sequence and its components, dates as plant-local times', async () => {
    sim.addOrder({
      order: '2000001',
      material: 'FG-FRAME',
      quantity: 40,
      plannedStart: '2026-03-02T06:00:00',
      plannedEnd: '2026-03-03T14:30:00',
      changedAt: new Date('2026-03-01T10:00:00Z'),
      operations: [
        { operation: '0020', workCenter: 'PAINT', sequence: '0' },
        { operation: '0010', workCenter: 'WELD', sequence: '0', text: 'Weld frame' },
      ],
      components: [
        { material: 'RM-TUBE', quantity: 80, unit: 'M', storageLocation: '171A', backflush: true, operation: '0010' },
      ],
    });
    const order = await sap.getOrder('2000001');
    expect(order).toMatchObject({
      order: '2000001',
      material: 'FG-FRAME',
      plant: '1710',
      quantity: 40,
      unit: 'ST',
      plannedStart: '2026-03-02T06:00:00',
      plannedEnd: '2026-03-03T14:30:00',
      isReleased: true,
    });
    expect(order?.etag).toMatch(/^W\/"datetimeoffset'/);
    expect(order?.operations.map((o) => [o.operation, o.workCenter])).toEqual([
      ['0010', 'WELD'],
      ['0020', 'PAINT'],
    ]);
    expect(order?.operations[0].text).toBe('Weld frame');
    expect(order?.components).toEqual([
      expect.objectContaining({
        material: 'RM-TUBE',
        requiredQuantity: 80,
        unit: 'M',
        storageLocation: '171A',
        isBackflush: true,
        operation: '0010',
      }),
    ]);
    expect(await sap.getOrder('2999999')).toBeNull();
  });

  it('pages by change date without losing or repeating orders that share a change time', async () => {
    const at = new Date('2026-03-05T08:00:00Z');
    for (const n of [1, 2, 3, 4, 5]) {
      sim.addOrder({
        order: `300000${n}`,
        material: 'FG-FRAME',
        quantity: 1,
        changedAt: at,
        operations: [{ operation: '0010', workCenter: 'WELD' }],
      });
    }
    sim.addOrder({
      order: '3000006',
      material: 'FG-FRAME',
      plant: '1720',
      quantity: 1,
      changedAt: new Date(at.getTime() + 1),
      operations: [{ operation: '0010', workCenter: 'WELD' }],
    });
    const start = '2026-03-05T07:59:59.000Z|';
    const { orders, cursor, pages } = await pollAll(start);
    expect(orders.map((o) => o.order)).toEqual(['3000001', '3000002', '3000003', '3000004', '3000005', '3000006']);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(cursor).toBe(`${new Date(at.getTime() + 1).toISOString()}|3000006`);

    // Nothing new: the cursor stays where it is.
    const quiet = await sap.listChangedOrders({ cursor });
    expect([quiet.orders.length, quiet.nextCursor, quiet.more]).toEqual([0, cursor, false]);

    // A planner changes one order in SAP: the next poll brings that one only.
    sim.changeOrder('3000002', { quantity: 7 });
    const next = await pollAll(cursor);
    expect(next.orders.map((o) => [o.order, o.quantity])).toEqual([['3000002', 7]]);

    // Plants restrict the poll.
    const plant1720 = await pollAll(start, ['1720']);
    expect(plant1720.orders.map((o) => o.order)).toEqual(['3000006']);
  });

  it('follows the server page limit (__next) by the cursor', async () => {
    const numbers = sim.seedOrders(9, { operations: 2, firstOrder: 4000001 });
    const since = sim.store.orders.get(numbers[0])?.header.LastChangeDateTime as Date;
    const page = await sap.listChangedOrders({
      cursor: `${new Date(since.getTime() - 1).toISOString()}|`,
      pageSize: 100,
    });
    // The simulator cuts at 4 and sends __next; the connector continues from the last order instead.
    expect(page.orders).toHaveLength(4);
    expect(page.more).toBe(true);
    const rest = await pollAll(page.nextCursor);
    expect([...page.orders, ...rest.orders].map((o) => o.order)).toEqual(numbers);
    expect(rest.orders.every((o) => o.operations.length === 2 && o.components.length === 2)).toBe(true);
  });

  it('writes the keyset filter with typed literals', () => {
    expect(changedOrdersFilter("2026-03-05T08:00:00.000Z|O'1", ['1710'])).toBe(
      "(LastChangeDateTime gt datetimeoffset'2026-03-05T08:00:00.000Z' or (LastChangeDateTime eq datetimeoffset'2026-03-05T08:00:00.000Z' " +
        "and ManufacturingOrder gt 'O''1')) and (ProductionPlant eq '1710')",
    );
    expect(changedOrdersFilter(undefined)).toBeUndefined();
    expect(() => changedOrdersFilter('yesterday|1')).toThrow(/invalid order cursor/);
  });
});
