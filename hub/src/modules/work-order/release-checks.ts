import { LockMode } from '@mikro-orm/core';
import {
  Equipment,
  LotSelection,
  Permission,
  MaterialLot,
  MaterialLotStatus,
  MaterialReservation,
  MaterialUse,
  Person,
  ProductDefinitionVersionState,
  type ProductSegment,
  Qualification,
  ReleaseProblem,
  ReleaseProblemKind as K,
  type ReleaseWorkOrderInput,
  ReservationStatus,
  type WorkOrder,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { roundQuantity } from '../../core/keys.js';
import type { Principal } from '../../core/principal.js';
import { conditionBlock } from '../equipment/equipment-condition.js';
import { type AssignedEquipment, bookingProblems } from './equipment-booking.js';

export interface PlannedReservation {
  segment: string;
  lot: MaterialLot;
  quantity: number;
}

const problem = (kind: K, segment: string | null, subject: string, message: string) =>
  Object.assign(new ReleaseProblem(), { kind, segment, subject, message });

/**
 * Everything release must check, collected rather than stopping at the first: assignments,
 * equipment class, condition (maintenance and calibration), line and booking, operator
 * qualifications, and material (FEFO, FIFO or a chosen lot). Lots are locked so concurrent
 * releases cannot reserve the same quantity twice.
 */
export async function planRelease(
  tx: Tx,
  principal: Principal,
  order: WorkOrder,
  segments: ProductSegment[],
  versionState: ProductDefinitionVersionState,
  input: ReleaseWorkOrderInput,
) {
  const problems: ReleaseProblem[] = [];
  if (![ProductDefinitionVersionState.Approved, ProductDefinitionVersionState.Active].includes(versionState)) {
    problems.push(
      problem(
        K.MasterRecordNotCurrent,
        null,
        String(versionState),
        `The order's master record version is ${versionState}; re-plan the order on an Approved or Active version.`,
      ),
    );
  }
  const now = new Date();
  const assigned: AssignedEquipment[] = [];
  for (const segment of segments) {
    const assignment = input.assignments.find((a) => a.segment === segment.code);
    if (!assignment) {
      problems.push(
        problem(
          K.MissingAssignment,
          segment.code,
          segment.code,
          `Segment ${segment.code} has no assignment; give its equipment and operators.`,
        ),
      );
      continue;
    }
    const equipment = await tx.findOne(Equipment, { path: assignment.equipment }, { populate: ['equipmentClass'] });
    if (!equipment || !principal.can(Permission.Read, equipment.path)) {
      problems.push(
        problem(
          K.UnknownEquipment,
          segment.code,
          assignment.equipment,
          `Segment ${segment.code}: no equipment "${assignment.equipment}".`,
        ),
      );
    } else {
      if (segment.equipmentClass && equipment.equipmentClass?.code !== segment.equipmentClass) {
        problems.push(
          problem(
            K.WrongEquipmentClass,
            segment.code,
            equipment.path,
            `Segment ${segment.code} needs a ${segment.equipmentClass}; ${equipment.path} is ${equipment.equipmentClass?.code ?? 'of no class'}.`,
          ),
        );
      }
      // The maintenance and calibration condition, never the run state a machine reports.
      const blocked = conditionBlock(equipment, now);
      if (blocked)
        problems.push(
          problem(K.EquipmentUnavailable, segment.code, equipment.path, `Segment ${segment.code}: ${blocked}`),
        );
      assigned.push({ segment, equipment });
    }
    if (!assignment.operators.length)
      problems.push(
        problem(K.MissingAssignment, segment.code, segment.code, `Segment ${segment.code} has no operator.`),
      );
    for (const employeeId of assignment.operators) {
      const person = await tx.findOne(Person, { employeeId, active: true });
      if (!person) {
        problems.push(
          problem(
            K.UnknownOperator,
            segment.code,
            employeeId,
            `Segment ${segment.code}: no active person "${employeeId}".`,
          ),
        );
        continue;
      }
      if (!segment.qualification) continue;
      const record = await tx.findOne(Qualification, { person, code: segment.qualification });
      if (!record?.current) {
        const why = !record
          ? 'has no record of it'
          : `whose training expired on ${record.expiresAt?.toISOString().slice(0, 10)}`;
        problems.push(
          problem(
            K.NotQualified,
            segment.code,
            employeeId,
            `Segment ${segment.code} needs qualification ${segment.qualification}; ${employeeId} ${why}.`,
          ),
        );
      }
    }
  }

  problems.push(...(await bookingProblems(tx, order, assigned)));

  const reservations: PlannedReservation[] = [];
  const taken = new Map<string, number>(); // lot id → quantity planned in this release
  for (const segment of segments) {
    for (const spec of segment.materials.filter((m) => m.use === MaterialUse.Consumed)) {
      const required = roundQuantity(spec.quantity * order.quantity);
      const lots = await tx.find(
        MaterialLot,
        { materialDefinition: { code: spec.materialDefinition } },
        {
          lockMode: LockMode.PESSIMISTIC_WRITE,
          orderBy:
            spec.lotSelection === LotSelection.FEFO
              ? { expiresAt: 'asc nulls last', createdAt: 'asc' }
              : { createdAt: 'asc' },
        },
      );
      const free = await availability(tx, lots, taken);
      const usable = (lot: MaterialLot) =>
        lot.status === MaterialLotStatus.Released && (!lot.expiresAt || lot.expiresAt > now);
      let candidates = lots;
      if (spec.lotSelection === LotSelection.SpecificLot) {
        const choice = input.lots.find(
          (c) => c.segment === segment.code && c.materialDefinition === spec.materialDefinition,
        );
        const lot = choice && lots.find((l) => l.lotNumber === choice.lotNumber);
        if (!lot) {
          problems.push(
            problem(
              K.MissingAssignment,
              segment.code,
              spec.materialDefinition,
              `Segment ${segment.code} needs a chosen lot of ${spec.materialDefinition}${choice ? `; "${choice.lotNumber}" is not one` : ''}.`,
            ),
          );
          continue;
        }
        if (lot.expiresAt && lot.expiresAt <= now)
          problems.push(
            problem(
              K.LotExpired,
              segment.code,
              lot.lotNumber,
              `Lot ${lot.lotNumber} expired on ${lot.expiresAt.toISOString().slice(0, 10)}.`,
            ),
          );
        else if (lot.status !== MaterialLotStatus.Released)
          problems.push(
            problem(
              K.LotNotReleased,
              segment.code,
              lot.lotNumber,
              `Lot ${lot.lotNumber} is ${lot.status}, not Released.`,
            ),
          );
        candidates = usable(lot) ? [lot] : [];
        if (!candidates.length) continue;
      }
      let missing = required;
      for (const lot of candidates.filter(usable)) {
        const quantity = Math.min(missing, free.get(lot.id) ?? 0);
        if (quantity <= 0) continue;
        reservations.push({ segment: segment.code, lot, quantity });
        taken.set(lot.id, (taken.get(lot.id) ?? 0) + quantity);
        free.set(lot.id, (free.get(lot.id) ?? 0) - quantity);
        missing = roundQuantity(missing - quantity);
        if (missing <= 0) break;
      }
      if (missing > 0) {
        const excluded = lots
          .filter((l) => !usable(l))
          .map((l) => `${l.lotNumber} (${l.expiresAt && l.expiresAt <= now ? 'expired' : l.status})`);
        problems.push(
          problem(
            K.MaterialShort,
            segment.code,
            spec.materialDefinition,
            `Segment ${segment.code} needs ${required} ${spec.unitOfMeasure} of ${spec.materialDefinition}; ${missing} ${spec.unitOfMeasure} are not available${excluded.length ? ` (not usable: ${excluded.join(', ')})` : ''}.`,
          ),
        );
      }
    }
  }
  return { problems, reservations };
}

/** Free quantity per lot: on hand, less what open reservations (and this release) still hold. */
async function availability(tx: Tx, lots: MaterialLot[], taken: Map<string, number>): Promise<Map<string, number>> {
  const open = await tx.find(MaterialReservation, {
    lot: { $in: lots.map((l) => l.id) },
    status: ReservationStatus.Reserved,
  });
  const held = new Map<string, number>();
  for (const r of open) held.set(r.lot.id, (held.get(r.lot.id) ?? 0) + r.quantity - r.consumedQuantity);
  return new Map(lots.map((l) => [l.id, roundQuantity(l.quantity - (held.get(l.id) ?? 0) - (taken.get(l.id) ?? 0))]));
}
