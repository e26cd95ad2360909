import { LockMode } from '@mikro-orm/core';
import { type Permission, WorkOrder } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { Principal } from '../../core/principal.js';
import { pathsVisible, requireAt } from '../../core/visibility.js';
import { fail, notFound } from '../../core/failures.js';

/** The order, locked for the command, if the caller may see it; the permission is checked at its line. */
export async function findOrderFor(
  tx: Tx,
  principal: Principal,
  number: string,
  permission: Permission,
): Promise<WorkOrder> {
  const hidden = () => notFound('work order', number);
  const order =
    (await tx.findOne(
      WorkOrder,
      { $and: [{ number }, { equipment: pathsVisible(principal) }] },
      { populate: ['equipment'], lockMode: LockMode.PESSIMISTIC_WRITE },
    )) ?? fail(hidden());
  requireAt(principal, permission, order.equipment.path, hidden);
  return order;
}
