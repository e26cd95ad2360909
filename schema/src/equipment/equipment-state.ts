import { registerEnumType } from 'type-graphql';

/** The current condition of a piece of equipment, as shown to supervisors and used for OEE. */
export enum EquipmentState {
  Running = 'Running',
  Idle = 'Idle',
  /** Stopped unplanned; a reason is required. */
  Down = 'Down',
  Maintenance = 'Maintenance',
  CalibrationDue = 'CalibrationDue',
  Offline = 'Offline',
}
registerEnumType(EquipmentState, { name: 'EquipmentState' });

/** States that only make sense with a reason code (e.g. `JAM`, `NO_MATERIAL`). */
export const STATES_REQUIRING_REASON: ReadonlySet<EquipmentState> = new Set([EquipmentState.Down]);
