import { registerEnumType } from 'type-graphql';

/**
 * Whether equipment may be used, as maintenance and calibration records say: apart from its run
 * state (what the machine reports), which no machine signal can change. ADR 0016.
 */
export enum EquipmentCondition {
  /** No open maintenance or calibration record. */
  Available = 'Available',
  /** Preventive maintenance is due; the equipment may still be used. */
  MaintenanceDue = 'MaintenanceDue',
  /** Being maintained or repaired: not to be used. */
  UnderMaintenance = 'UnderMaintenance',
  /** Calibration falls due at the record's `dueAt`; usable until then, CalibrationOverdue from then. */
  CalibrationDue = 'CalibrationDue',
  /** Past its calibration due date: not to be used until calibrated. */
  CalibrationOverdue = 'CalibrationOverdue',
}
registerEnumType(EquipmentCondition, { name: 'EquipmentCondition' });

/** Which kind of record holds a condition. */
export enum EquipmentConditionKind {
  Maintenance = 'Maintenance',
  Calibration = 'Calibration',
}
registerEnumType(EquipmentConditionKind, { name: 'EquipmentConditionKind' });

const C = EquipmentCondition;

/** The conditions that hold the interlock: release and step start refuse the equipment. */
export const BLOCKING_CONDITIONS: ReadonlySet<EquipmentCondition> = new Set([C.UnderMaintenance, C.CalibrationOverdue]);

/** The kind of record each condition belongs to (Available belongs to none). */
export const CONDITION_KIND: Readonly<
  Record<Exclude<EquipmentCondition, EquipmentCondition.Available>, EquipmentConditionKind>
> = {
  [C.MaintenanceDue]: EquipmentConditionKind.Maintenance,
  [C.UnderMaintenance]: EquipmentConditionKind.Maintenance,
  [C.CalibrationDue]: EquipmentConditionKind.Calibration,
  [C.CalibrationOverdue]: EquipmentConditionKind.Calibration,
};

/** Which condition an equipment shows when several records are open: the highest. */
const RANK: Readonly<Record<EquipmentCondition, number>> = {
  [C.Available]: 0,
  [C.MaintenanceDue]: 1,
  [C.CalibrationDue]: 2,
  [C.CalibrationOverdue]: 3,
  [C.UnderMaintenance]: 4,
};

/** A condition as a record states it, and the due date it may carry. */
export interface HeldCondition {
  condition: EquipmentCondition;
  dueAt?: Date | null;
}

/**
 * The condition a record (or an equipment's summary of its records) holds at `now`: a calibration
 * due at `dueAt` is overdue from then on, without anyone having to write it down.
 */
export function conditionAt(held: HeldCondition, now: Date): EquipmentCondition {
  if (held.condition === C.CalibrationDue && held.dueAt && held.dueAt.getTime() <= now.getTime())
    return C.CalibrationOverdue;
  return held.condition;
}

/**
 * The record that governs an equipment's condition at `now`: the one with the highest condition,
 * and among equals the one falling due first (it is the next to become overdue).
 */
export function governingRecord<T extends HeldCondition>(records: readonly T[], now: Date): T | null {
  let best: T | null = null;
  for (const r of records) {
    if (!best) {
      best = r;
      continue;
    }
    const [a, b] = [RANK[conditionAt(r, now)], RANK[conditionAt(best, now)]];
    const earlier =
      (r.dueAt?.getTime() ?? Number.POSITIVE_INFINITY) < (best.dueAt?.getTime() ?? Number.POSITIVE_INFINITY);
    if (a > b || (a === b && earlier)) best = r;
  }
  return best;
}
