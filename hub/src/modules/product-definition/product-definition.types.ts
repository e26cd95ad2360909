import { Connection, ProductDefinition } from '@plantgraph/schema';

/** The product definition pages, as the API serves them. */
export const ProductDefinitionConnection = Connection(ProductDefinition);
