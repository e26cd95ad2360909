import { type CreateEquipmentClassInput, Equipment, EquipmentClass, Permission, type UpdateEquipmentClassInput } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { paginate, type PageRequest } from '../../core/paging.js';
import { checkKey } from '../../core/keys.js';
import { requireMembersStillFit, requireValidDefinitions } from '../shared/properties.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import type { Principal } from '../../core/principal.js';
import { requireEnterpriseWide } from '../../core/visibility.js';
import { duplicateKey, fail, invalidInput, notFound } from '../../core/failures.js';

export class EquipmentClassService {
  constructor(private readonly uow: UnitOfWork) {}

  list(em: Tx, page: PageRequest) {
    return paginate(em, EquipmentClass, {}, page, 'code');
  }

  create(principal: Principal, input: CreateEquipmentClassInput) {
    return this.uow.run(principal.name, async (work) => {
      requireEnterpriseWide(principal, Permission.ManageMasterData);
      checkKey('code', input.code);
      requireValidDefinitions(input.properties);
      checkCycleTime(input.idealCycleTimeSeconds);
      if (await work.tx.count(EquipmentClass, { code: input.code })) fail(duplicateKey('equipment class', input.code));
      const equipmentClass = work.tx.create(EquipmentClass, {
        code: input.code, description: input.description ?? null, properties: input.properties, idealCycleTimeSeconds: input.idealCycleTimeSeconds ?? null,
      });
      work.changed('EquipmentClassCreated', equipmentClass, input.code);
      return equipmentClass;
    });
  }

  update(principal: Principal, code: string, input: UpdateEquipmentClassInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      requireEnterpriseWide(principal, Permission.ManageMasterData);
      const equipmentClass = (await tx.findOne(EquipmentClass, { code })) ?? fail(notFound('equipment class', code));
      const before = snapshot(equipmentClass);
      if (input.description !== undefined) equipmentClass.description = input.description;
      if (input.idealCycleTimeSeconds !== undefined) {
        checkCycleTime(input.idealCycleTimeSeconds);
        equipmentClass.idealCycleTimeSeconds = input.idealCycleTimeSeconds;
      }
      if (input.properties) {
        requireValidDefinitions(input.properties);
        const members = await tx.find(Equipment, { equipmentClass });
        requireMembersStillFit(input.properties, members.map((m) => ({ key: m.path, properties: m.properties })), 'equipment');
        equipmentClass.properties = input.properties;
      }
      work.changed('EquipmentClassUpdated', equipmentClass, code, before);
      return equipmentClass;
    });
  }
}

function checkCycleTime(seconds: number | null | undefined): void {
  if (seconds != null && !(seconds > 0 && seconds < 86_400)) fail(invalidInput('idealCycleTimeSeconds', `must be above 0 and below 86400 seconds (got ${seconds}).`));
}
