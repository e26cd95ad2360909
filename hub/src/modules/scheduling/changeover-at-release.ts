import {
  ChangeoverRule,
  ProductSchedulingProfile,
  RequiredCleaning,
  ScheduleEntry,
  ScheduleEntryKind,
  type WorkOrder,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { likePrefix } from '../../core/keys.js';
import { changeoverBetween, cleaningSatisfies, type ProductTraits } from './changeover.js';

/** A changeover rule the release of an order would break. */
export interface BrokenChangeover {
  rule: string;
  message: string;
}

/** The unit, its ancestors, and a LIKE pattern for the units under it: every path related to it. */
function relatedPaths(path: string): { paths: string; under: string } {
  const parts = path.split('/');
  return { paths: JSON.stringify(parts.map((_, i) => parts.slice(0, i + 1).join('/'))), under: likePrefix(`${path}/`) };
}

/**
 * What release must refuse about the order's place in the schedule: its predecessor on the unit
 * (the last production entry ending before it on the unit, its line or a unit of it) makes a
 * product the changeover matrix says needs a cleaning or sanitation first, and none of that kind
 * is scheduled between them. An order not in the schedule has no predecessor to check.
 */
export async function changeoverAtRelease(tx: Tx, order: WorkOrder): Promise<BrokenChangeover[]> {
  const entry = await tx.findOne(ScheduleEntry, { workOrder: order }, { populate: ['unit'] });
  if (!entry?.product) return [];
  const { paths, under } = relatedPaths(entry.unit.path);
  const near = `(u.path in (select jsonb_array_elements_text(?::jsonb)) or u.path like ?)`;
  const [before] = await tx.execute<{ order_number: string; product: string; end: Date }[]>(
    `select e.order_number, e.product, e."end" from schedule_entry e join equipment u on u.id = e.unit_id
      where e.kind = ? and e.id <> ? and e."end" <= ? and ${near}
      order by e."end" desc limit 1`,
    [ScheduleEntryKind.Production, entry.id, entry.start, paths, under],
  );
  if (!before?.product) return [];
  const [rules, profiles] = await Promise.all([
    tx.find(ChangeoverRule, {}, { orderBy: { name: 'asc' } }),
    tx.find(ProductSchedulingProfile, { product: { $in: [before.product, entry.product] } }),
  ]);
  const traits = (product: string): ProductTraits => {
    const p = profiles.find((x) => x.product === product);
    return { product, family: p?.family ?? null, allergens: p?.allergens ?? [] };
  };
  const need = changeoverBetween(rules, entry.unit.path, traits(before.product), traits(entry.product));
  if (need.cleaning === RequiredCleaning.None) return [];
  const cleanings = await tx.execute<{ kind: ScheduleEntryKind }[]>(
    `select e.kind from schedule_entry e join equipment u on u.id = e.unit_id
      where e.kind <> ? and e.start >= ? and e."end" <= ? and ${near}`,
    [ScheduleEntryKind.Production, before.end, entry.start, paths, under],
  );
  if (cleanings.some((c) => cleaningSatisfies(c.kind, need.cleaning))) return [];
  return [
    {
      rule: need.cleaningRule!,
      message: `Order ${order.number} (${entry.product}) follows order ${before.order_number} (${before.product}) on ${entry.unit.path}: changeover rule ${need.cleaningRule} asks for a ${need.cleaning} between them and none is scheduled; schedule one (scheduleCleaning) before releasing.`,
    },
  ];
}
