import { createUnionType } from 'type-graphql';
import { DuplicateKey, InvalidInput, InvalidTransition, NotFound, UnknownReference } from '../common/errors.js';
import { ProductDefinition, ProductDefinitionVersion } from './product-definition.entities.js';

export const ProductDefinitionResult = createUnionType({
  name: 'ProductDefinitionResult',
  types: () => [ProductDefinition, DuplicateKey, UnknownReference, InvalidInput] as const,
});
export const ProductDefinitionVersionResult = createUnionType({
  name: 'ProductDefinitionVersionResult',
  types: () => [ProductDefinitionVersion, NotFound, UnknownReference, InvalidInput, InvalidTransition] as const,
});
