import { Connection, Equipment, EquipmentClass, EquipmentStateChange } from '@plantgraph/schema';

/** The equipment model's pages, as the API serves them. */
export const EquipmentClassConnection = Connection(EquipmentClass);
export const EquipmentConnection = Connection(Equipment);
export const EquipmentStateChangeConnection = Connection(EquipmentStateChange);
