import {
  type CreateEquipmentClassInput,
  Equipment,
  EquipmentClass,
  type UpdateEquipmentClassInput,
} from '@plantgraph/schema';
import { fail, invalidInput } from '../../core/failures.js';
import type { ResourceClassKind } from '../resource-class/resource-class.service.js';

/** Equipment classes: their members are equipment, and they carry the ideal cycle time for OEE. */
export const equipmentClasses: ResourceClassKind<EquipmentClass, CreateEquipmentClassInput, UpdateEquipmentClassInput> =
  {
    entity: EquipmentClass,
    name: 'equipment class',
    events: { created: 'EquipmentClassCreated', updated: 'EquipmentClassUpdated' },
    members: {
      name: 'equipment',
      of: async (tx, equipmentClass) =>
        (await tx.find(Equipment, { equipmentClass })).map((m) => ({ key: m.path, properties: m.properties })),
    },
    ownFieldsOnCreate: (input) => ({ idealCycleTimeSeconds: checkedCycleTime(input.idealCycleTimeSeconds) ?? null }),
    ownFieldsOnUpdate: ({ idealCycleTimeSeconds: seconds }) =>
      seconds === undefined ? {} : { idealCycleTimeSeconds: checkedCycleTime(seconds) },
  };

function checkedCycleTime(seconds: number | null | undefined): number | null | undefined {
  if (seconds != null && !(seconds > 0 && seconds < 86_400)) {
    fail(invalidInput('idealCycleTimeSeconds', `must be above 0 and below 86400 seconds (got ${seconds}).`));
  }
  return seconds;
}
