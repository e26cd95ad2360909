import {
  CampaignBatch,
  type MaterialLot,
  MaterialLotStatus,
  MaterialReservation,
  Permission,
  ReservationStatus,
  type UpdateMaterialLotInput,
  WorkOrder,
  WorkOrderState,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { Principal } from '../../core/principal.js';
import { checkText, roundQuantity } from '../../core/keys.js';
import { requireAtPlace, requireManageablePlace } from '../../core/visibility.js';
import { type DomainFailure, fail, invalidInput } from '../../core/failures.js';

/** Who decides a lot's disposition: the quality unit, not whoever manages master data. */
export const LOT_DISPOSITION = Permission.QualityApproval;

/** Orders whose record is closed: their produced lot's quantity may change afterwards (shipped, scrapped). */
const CLOSED = [WorkOrderState.ReleasedToStock, WorkOrderState.Rejected];

/** What an update of a lot asks for, once the rules have allowed it. */
export interface AllowedLotChange {
  reason: string | null;
  /** The lot is released product (made by an order and released to stock): the change must be signed. */
  needsSignature: boolean;
}

/**
 * The rules that keep lots from being changed around the record (issue 14): a new status is a
 * disposition (quality's permission, a reason); a lot an order produced follows that order's
 * disposition only; a new quantity outside execution needs a reason, may not undercut open
 * reservations, cannot touch an order's output while its record is open, and on released product
 * needs a signature. Everything else (expiry, location, properties) is master data as before.
 */
export async function allowLotChange(
  tx: Tx,
  principal: Principal,
  lot: MaterialLot,
  input: UpdateMaterialLotInput,
  hidden: () => DomainFailure,
): Promise<AllowedLotChange> {
  const newStatus = input.status != null && input.status !== lot.status;
  const newQuantity = input.quantity != null && input.quantity !== lot.quantity;
  const masterData = input.expiresAt !== undefined || input.location != null || input.properties != null;
  if (newStatus) requireAtPlace(principal, LOT_DISPOSITION, lot.location, hidden);
  if (newQuantity || masterData || !newStatus) requireManageablePlace(principal, lot.location, hidden);
  const reason = input.reason?.trim() || null;
  if (input.reason != null) checkText('reason', input.reason, 1000);
  // A campaign's batches are its output as much as the lot it completes with.
  const producer =
    (await tx.findOne(WorkOrder, { producedLot: lot.lotNumber })) ??
    (await tx.findOne(CampaignBatch, { lotNumber: lot.lotNumber }, { populate: ['workOrder'] }))?.workOrder;
  if (newStatus) {
    if (producer)
      fail(
        invalidInput(
          'status',
          `lot ${lot.lotNumber} is the output of order ${producer.number}, which is ${producer.state}; its status follows the order's disposition only (releaseWorkOrderToStock or rejectWorkOrder after review), not a change of the lot.`,
        ),
      );
    if (!reason)
      fail(invalidInput('reason', `say why lot ${lot.lotNumber} goes from ${lot.status} to ${input.status}.`));
  }
  if (!newQuantity) return { reason, needsSignature: false };
  if (!reason)
    fail(
      invalidInput(
        'reason',
        `say why the quantity of lot ${lot.lotNumber} goes from ${lot.quantity} to ${input.quantity} ${lot.unitOfMeasure}; outside execution every change of a quantity is explained.`,
      ),
    );
  if (producer && !CLOSED.includes(producer.state))
    fail(
      invalidInput(
        'quantity',
        `lot ${lot.lotNumber} is the output of order ${producer.number}, which is ${producer.state}: its quantity is part of that record until the order is released to stock or rejected.`,
      ),
    );
  const held = await reservedQuantity(tx, lot);
  if (input.quantity! < held)
    fail(
      invalidInput(
        'quantity',
        `${input.quantity} ${lot.unitOfMeasure} is less than the ${held} ${lot.unitOfMeasure} of lot ${lot.lotNumber} still reserved for released orders.`,
      ),
    );
  return { reason, needsSignature: Boolean(producer) && lot.status === MaterialLotStatus.Released };
}

/** What open reservations still hold of the lot. */
async function reservedQuantity(tx: Tx, lot: MaterialLot): Promise<number> {
  const open = await tx.find(MaterialReservation, { lot, status: ReservationStatus.Reserved });
  return roundQuantity(open.reduce((sum, r) => sum + r.quantity - r.consumedQuantity, 0));
}
