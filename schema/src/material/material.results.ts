import { createUnionType } from 'type-graphql';
import { DuplicateKey, InvalidInput, InvalidPropertyValue, NotFound, UnknownReference } from '../common/errors.js';
import { MaterialClass, MaterialDefinition, MaterialLot, MaterialSublot } from './material.entities.js';

const failures = [DuplicateKey, NotFound, UnknownReference, InvalidInput, InvalidPropertyValue] as const;

export const MaterialClassResult = createUnionType({
  name: 'MaterialClassResult',
  types: () => [MaterialClass, ...failures] as const,
});
export const MaterialDefinitionResult = createUnionType({
  name: 'MaterialDefinitionResult',
  types: () => [MaterialDefinition, ...failures] as const,
});
export const MaterialLotResult = createUnionType({
  name: 'MaterialLotResult',
  types: () => [MaterialLot, ...failures] as const,
});
export const MaterialSublotResult = createUnionType({
  name: 'MaterialSublotResult',
  types: () => [MaterialSublot, ...failures] as const,
});
