import {
  type CreateEquipmentClassInput, DuplicateKey, Equipment, EquipmentClass, InvalidInput, NotFound,
  type PropertyDefinition, type UpdateEquipmentClassInput, checkPropertyDefinitions, checkPropertyValues,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { paginate, type PageArgs } from '../../graphql/pagination.js';
import { checkKey } from '../shared/keys.js';
import { fail, snapshot, type UnitOfWork } from '../shared/unit-of-work.js';

export class EquipmentClassService {
  constructor(private readonly uow: UnitOfWork) {}

  list(em: Tx, page: PageArgs) {
    return paginate(em, EquipmentClass, {}, page, 'code');
  }

  create(actor: string, input: CreateEquipmentClassInput) {
    return this.uow.run(actor, async (work) => {
      checkKey('code', input.code);
      checkDefinitions(input.properties);
      checkCycleTime(input.idealCycleTimeSeconds);
      if (await work.tx.count(EquipmentClass, { code: input.code })) fail(new DuplicateKey('equipment class', input.code));
      const equipmentClass = work.tx.create(EquipmentClass, {
        code: input.code, description: input.description ?? null, properties: input.properties, idealCycleTimeSeconds: input.idealCycleTimeSeconds ?? null,
      });
      work.changed('EquipmentClassCreated', equipmentClass, input.code);
      return equipmentClass;
    });
  }

  update(actor: string, code: string, input: UpdateEquipmentClassInput) {
    return this.uow.run(actor, async (work) => {
      const { tx } = work;
      const equipmentClass = (await tx.findOne(EquipmentClass, { code })) ?? fail(new NotFound('equipment class', code));
      const before = snapshot(equipmentClass);
      if (input.description !== undefined) equipmentClass.description = input.description;
      if (input.idealCycleTimeSeconds !== undefined) {
        checkCycleTime(input.idealCycleTimeSeconds);
        equipmentClass.idealCycleTimeSeconds = input.idealCycleTimeSeconds;
      }
      if (input.properties) {
        checkDefinitions(input.properties);
        // Members must still fit: a new required property or a changed type must not orphan values.
        for (const member of await tx.find(Equipment, { equipmentClass })) {
          const problem = checkPropertyValues(input.properties, member.properties);
          if (problem) fail(new InvalidInput('properties', `equipment "${member.path}" would no longer fit the class: ${problem[1]} Update that equipment first.`));
        }
        equipmentClass.properties = input.properties;
      }
      work.changed('EquipmentClassUpdated', equipmentClass, code, before);
      return equipmentClass;
    });
  }
}

function checkDefinitions(defs: PropertyDefinition[]): void {
  const problem = checkPropertyDefinitions(defs);
  if (problem) fail(new InvalidInput(...problem));
}

function checkCycleTime(seconds: number | null | undefined): void {
  if (seconds != null && !(seconds > 0 && seconds < 86_400)) fail(new InvalidInput('idealCycleTimeSeconds', `must be above 0 and below 86400 seconds (got ${seconds}).`));
}
