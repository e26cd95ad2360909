import { createUnionType } from 'type-graphql';
import { DuplicateKey, InvalidInput, NotFound, UnknownReference } from '../common/errors.js';
import { Person, PersonnelClass } from './personnel.entities.js';

export const PersonnelClassResult = createUnionType({
  name: 'PersonnelClassResult',
  types: () => [PersonnelClass, DuplicateKey, NotFound, InvalidInput] as const,
});
export const PersonResult = createUnionType({
  name: 'PersonResult',
  types: () => [Person, DuplicateKey, NotFound, UnknownReference, InvalidInput] as const,
});
