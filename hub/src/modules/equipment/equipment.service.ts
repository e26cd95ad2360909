import { type FilterQuery, LockMode } from '@mikro-orm/core';
import {
  ALLOWED_PARENT_LEVELS, type CreateEquipmentInput, DuplicatePath, Equipment, EquipmentClass, type EquipmentFilter,
  EquipmentStateChange, HierarchyCycle, Permission, InvalidInput, LevelNotAllowed, NotFound, 
  type SetEquipmentStateInput, UnknownParent, UnknownReference, type UpdateEquipmentInput,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { MessageBus, QueueOptions } from '../../infrastructure/bus/message-bus.js';
import { paginate, type PageArgs } from '../../graphql/pagination.js';
import { checkPath, checkPathSegment, checkText, likePrefix, underPathOf } from '../shared/keys.js';
import { scopedSubscription } from '../shared/scoped-subscription.js';
import { requireValuesFit } from '../shared/properties.js';
import { fail, snapshot, type UnitOfWork } from '../shared/unit-of-work.js';
import type { Principal } from '../../auth/principal.js';
import { forbidden, pathsVisible, requireAt } from '../../auth/visibility.js';
import { applyStateReport, stateChangeFromEvent, stateReportProblem } from './equipment-state.js';


export class EquipmentService {
  constructor(private readonly uow: UnitOfWork, private readonly bus: MessageBus) {}

  get(em: Tx, principal: Principal, path: string) {
    return em.findOne(Equipment, { $and: [{ path }, pathsVisible(principal)] });
  }

  list(em: Tx, principal: Principal, filter: EquipmentFilter | null | undefined, page: PageArgs) {
    const where: FilterQuery<Equipment>[] = [pathsVisible(principal)];
    if (filter?.pathPrefix) where.push(underPathOf(filter.pathPrefix));
    if (filter?.level?.length) where.push({ level: { $in: filter.level } });
    if (filter?.state?.length) where.push({ state: { $in: filter.state } });
    if (filter?.equipmentClass) where.push({ equipmentClass: { code: filter.equipmentClass } });
    return paginate(em, Equipment, { $and: where }, page, 'path');
  }

  stateHistory(em: Tx, equipment: Equipment, page: PageArgs) {
    return paginate(em, EquipmentStateChange, { equipment: equipment.id }, page, 'id', 'desc');
  }

  create(principal: Principal, input: CreateEquipmentInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkPathSegment('code', input.code);
      checkText('name', input.name);
      const parent = input.parentPath ? await findParent(tx, input.parentPath) : null;
      const path = parent ? `${parent.path}/${input.code}` : input.code;
      if (parent) requireAt(principal, Permission.ManageMasterData, parent.path, () => new UnknownParent(parent.path));
      else if (!principal.can(Permission.ManageMasterData, path)) throw forbidden(principal, `create the enterprise ${path}`);
      checkLevel(input.level, parent);
      if (await tx.count(Equipment, { path })) fail(new DuplicatePath(path));
      const equipmentClass = input.equipmentClass ? await findClass(tx, input.equipmentClass) : null;
      requireValuesFit(equipmentClass, input.properties, 'equipment');
      const equipment = tx.create(Equipment, {
        path, code: input.code, name: input.name.trim(), level: input.level, parent, equipmentClass, properties: input.properties,
      });
      work.changed('EquipmentCreated', equipment, equipment.path);
      return equipment;
    });
  }

  update(principal: Principal, path: string, input: UpdateEquipmentInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const equipment = (await tx.findOne(Equipment, { path }, { populate: ['equipmentClass'] })) ?? fail(new NotFound('equipment', path));
      requireAt(principal, Permission.ManageMasterData, path, () => new NotFound('equipment', path));
      const before = snapshot(equipment);
      if (input.name != null) {
        checkText('name', input.name);
        equipment.name = input.name.trim();
      }
      let parent = equipment.parent ? await tx.findOneOrFail(Equipment, equipment.parent.id) : null;
      if (input.parentPath != null) {
        checkPath('parentPath', input.parentPath);
        if (input.parentPath === path || input.parentPath.startsWith(`${path}/`)) fail(new HierarchyCycle(path, input.parentPath));
        parent = await findParent(tx, input.parentPath);
        requireAt(principal, Permission.ManageMasterData, parent.path, () => new UnknownParent(input.parentPath!));
        checkLevel(equipment.level, parent);
        equipment.parent = parent;
      }
      if (input.code != null) {
        checkPathSegment('code', input.code);
        equipment.code = input.code;
      }
      const newPath = parent ? `${parent.path}/${equipment.code}` : equipment.code;
      if (newPath !== path) {
        if (await tx.count(Equipment, { path: newPath })) fail(new DuplicatePath(newPath));
        await tx.flush();
        await tx.execute(
          'update equipment set path = ? || substr(path, ?) where path = ? or path like ?',
          [newPath, path.length + 1, path, likePrefix(`${path}/`)],
        );
        equipment.path = newPath;
      }
      if (input.equipmentClass != null) {
        equipment.equipmentClass = input.equipmentClass === '' ? null : await findClass(tx, input.equipmentClass);
      }
      if (input.properties != null) equipment.properties = input.properties;
      if (input.equipmentClass != null || input.properties != null) requireValuesFit(equipment.equipmentClass ?? null, equipment.properties, 'equipment');
      work.changed('EquipmentUpdated', equipment, equipment.path, before);
      return equipment;
    });
  }

  setState(principal: Principal, input: SetEquipmentStateInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const equipment = (await tx.findOne(Equipment, { path: input.path }, { lockMode: LockMode.PESSIMISTIC_WRITE })) ?? fail(new NotFound('equipment', input.path));
      requireAt(principal, Permission.SetEquipmentState, input.path, () => new NotFound('equipment', input.path));
      const problem = stateReportProblem(input.state, input.reason);
      if (problem) fail(new InvalidInput('reason', problem));
      const before = snapshot(equipment);
      const event = applyStateReport(tx, this.bus.subjects, equipment, { state: input.state, reason: input.reason, at: new Date(), source: `api:${principal.name}` });
      if (event) {
        work.emit(event);
        work.audit('EquipmentStateSet', equipment, before);
      }
      return equipment;
    });
  }

  /** Live state changes at `scope` and below, from every hub replica. */
  subscribeStateChanges(principal: Principal, scope: string, queue: QueueOptions = {}): AsyncIterable<EquipmentStateChange> {
    return scopedSubscription(this.bus, principal, scope, { patterns: (s) => this.bus.subjects.equipmentStateChangedScope(s), what: 'state changes', toValue: stateChangeFromEvent, queue });
  }
}

async function findParent(tx: Tx, parentPath: string): Promise<Equipment> {
  checkPath('parentPath', parentPath);
  return (await tx.findOne(Equipment, { path: parentPath })) ?? fail(new UnknownParent(parentPath));
}

async function findClass(tx: Tx, code: string): Promise<EquipmentClass> {
  return (await tx.findOne(EquipmentClass, { code })) ?? fail(new UnknownReference('equipmentClass', 'equipment class', code));
}

function checkLevel(level: Equipment['level'], parent: Equipment | null): void {
  const allowed = ALLOWED_PARENT_LEVELS[level];
  const ok = parent ? allowed.includes(parent.level) : allowed.length === 0;
  if (!ok) fail(new LevelNotAllowed(level, parent?.level ?? null, allowed));
}
