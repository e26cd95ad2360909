// Generated orders for benchmarks and bulk tests: N orders of M operations, deterministic numbers.

import type { SimStore } from './store.js';

export interface SeedOptions {
  operations?: number;
  components?: number;
  plant?: string;
  /** Header material (what the orders make). */
  material?: string;
  unit?: string;
  quantity?: number;
  /** Cycled over the operations. */
  workCenters?: string[];
  /** Number of the first order; the next ones count up. */
  firstOrder?: number;
  /** Batches known for the component materials (makes them batch-managed). */
  componentBatches?: string[];
  /** Plant-local "YYYY-MM-DDTHH:mm:ss". */
  plannedStart?: string;
  plannedEnd?: string;
}

export function seedOrders(store: SimStore, count: number, options: SeedOptions = {}): string[] {
  const plant = options.plant ?? '1710';
  const operations = options.operations ?? 10;
  const workCenters = options.workCenters ?? ['ASSEMBLY', 'TESTING'];
  const components = Array.from({ length: options.components ?? 2 }, (_, i) => `RM-${String(i + 1).padStart(3, '0')}`);
  for (const material of components)
    store.addMaterial({ material, plant, baseUnit: 'ST', batches: options.componentBatches });
  const first = options.firstOrder ?? 1000000 + store.orders.size;
  const numbers: string[] = [];
  for (let n = 0; n < count; n++) {
    const order = String(first + n);
    store.addOrder({
      order,
      material: options.material ?? 'FG-100',
      plant,
      unit: options.unit ?? 'ST',
      quantity: options.quantity ?? 100,
      plannedStart: options.plannedStart ?? '2026-03-02T06:00:00',
      plannedEnd: options.plannedEnd ?? '2026-03-02T14:00:00',
      operations: Array.from({ length: operations }, (_, i) => ({
        operation: String((i + 1) * 10).padStart(4, '0'),
        workCenter: workCenters[i % workCenters.length],
      })),
      components: components.map((material, i) => ({
        material,
        quantity: (options.quantity ?? 100) * (i + 1),
        operation: '0010',
        storageLocation: '171A',
      })),
    });
    numbers.push(order);
  }
  return numbers;
}
