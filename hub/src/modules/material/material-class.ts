import {
  type CreateMaterialClassInput,
  MaterialClass,
  MaterialDefinition,
  type UpdateMaterialClassInput,
} from '@plantgraph/schema';
import type { ResourceClassKind, ResourceClassService } from '../resource-class/resource-class.service.js';

/** Material classes: a redeclaration must keep fitting the values of the material definitions of the class. */
export const materialClasses: ResourceClassKind<MaterialClass, CreateMaterialClassInput, UpdateMaterialClassInput> = {
  entity: MaterialClass,
  name: 'material class',
  events: { created: 'MaterialClassCreated', updated: 'MaterialClassUpdated' },
  members: {
    name: 'material definition',
    of: async (tx, materialClass) =>
      (await tx.find(MaterialDefinition, { materialClass })).map((m) => ({ key: m.code, properties: m.properties })),
  },
};

export type MaterialClassService = ResourceClassService<
  MaterialClass,
  CreateMaterialClassInput,
  UpdateMaterialClassInput
>;
