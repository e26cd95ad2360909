import { registerEnumType } from 'type-graphql';

/** Role-based equipment hierarchy levels of IEC 62264-1 / B2MML `EquipmentElementLevel`. */
export enum EquipmentLevel {
  Enterprise = 'Enterprise',
  Site = 'Site',
  Area = 'Area',
  WorkCenter = 'WorkCenter',
  ProcessCell = 'ProcessCell',
  ProductionLine = 'ProductionLine',
  ProductionUnit = 'ProductionUnit',
  StorageZone = 'StorageZone',
  Unit = 'Unit',
  WorkCell = 'WorkCell',
  StorageUnit = 'StorageUnit',
  WorkUnit = 'WorkUnit',
  EquipmentModule = 'EquipmentModule',
  ControlModule = 'ControlModule',
}
registerEnumType(EquipmentLevel, { name: 'EquipmentLevel' });

const L = EquipmentLevel;
const WORK_CENTERS = [L.WorkCenter, L.ProcessCell, L.ProductionLine, L.ProductionUnit, L.StorageZone];
const WORK_UNITS = [L.Unit, L.WorkCell, L.StorageUnit, L.WorkUnit];

/**
 * Which level may sit directly under which. Batch (ProcessCell/Unit), discrete (ProductionLine/
 * WorkCell), continuous (ProductionUnit) and storage (StorageZone/StorageUnit) follow the standard;
 * WorkCenter/WorkUnit are the generic pair. Modules nest below work units as in IEC 61512.
 */
export const ALLOWED_PARENT_LEVELS: Readonly<Record<EquipmentLevel, readonly EquipmentLevel[]>> = {
  [L.Enterprise]: [],
  [L.Site]: [L.Enterprise],
  [L.Area]: [L.Site],
  [L.WorkCenter]: [L.Area],
  [L.ProcessCell]: [L.Area],
  [L.ProductionLine]: [L.Area],
  [L.ProductionUnit]: [L.Area],
  [L.StorageZone]: [L.Area],
  [L.Unit]: [L.ProcessCell],
  [L.WorkCell]: [L.ProductionLine],
  [L.StorageUnit]: [L.StorageZone],
  [L.WorkUnit]: WORK_CENTERS,
  [L.EquipmentModule]: [...WORK_UNITS, L.ProductionUnit, L.EquipmentModule],
  [L.ControlModule]: [...WORK_UNITS, L.EquipmentModule, L.ControlModule],
};
