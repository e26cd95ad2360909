import { registerEnumType } from 'type-graphql';

/**
 * The run state a machine reports (or a person sets by hand), as shown to supervisors and used for
 * OEE. Whether the equipment may be used is its condition (`EquipmentCondition`), which no signal
 * changes; calibration is no run state.
 */
export enum EquipmentState {
  Running = 'Running',
  Idle = 'Idle',
  /** Stopped unplanned; a reason is required. */
  Down = 'Down',
  Maintenance = 'Maintenance',
  Offline = 'Offline',
}
registerEnumType(EquipmentState, { name: 'EquipmentState' });

/** States that only make sense with a reason code (e.g. `JAM`, `NO_MATERIAL`). */
export const STATES_REQUIRING_REASON: ReadonlySet<EquipmentState> = new Set([EquipmentState.Down]);
