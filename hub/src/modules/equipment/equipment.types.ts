import { Connection, EquipmentClass } from '@plantgraph/schema';

/** The equipment model's pages, as the API serves them. */
export const EquipmentClassConnection = Connection(EquipmentClass);
