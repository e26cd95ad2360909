import { type CreatePersonnelClassInput, PersonnelClass, type UpdatePersonnelClassInput } from '@plantgraph/schema';
import type { ResourceClassKind, ResourceClassService } from '../resource-class/resource-class.service.js';

/** Personnel classes: people hold them but carry no property values, so redeclaring never orphans any. */
export const personnelClasses: ResourceClassKind<PersonnelClass, CreatePersonnelClassInput, UpdatePersonnelClassInput> =
  {
    entity: PersonnelClass,
    name: 'personnel class',
    events: { created: 'PersonnelClassCreated', updated: 'PersonnelClassUpdated' },
  };

export type PersonnelClassService = ResourceClassService<
  PersonnelClass,
  CreatePersonnelClassInput,
  UpdatePersonnelClassInput
>;
