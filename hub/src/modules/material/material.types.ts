import { Connection, MaterialClass, MaterialDefinition, MaterialLot } from '@plantgraph/schema';

/** The material model's pages, as the API serves them. */
export const MaterialClassConnection = Connection(MaterialClass);
export const MaterialDefinitionConnection = Connection(MaterialDefinition);
export const MaterialLotConnection = Connection(MaterialLot);
