import { type FilterQuery, LockMode } from '@mikro-orm/core';
import {
  ALLOWED_PARENT_LEVELS,
  type CreateEquipmentInput,
  Equipment,
  EquipmentClass,
  type EquipmentFilter,
  EquipmentStateChange,
  Permission,
  type SetEquipmentStateInput,
  type UpdateEquipmentInput,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { paginate, type PageRequest } from '../../core/paging.js';
import { checkPath, checkPathSegment, checkText, likePrefix, underPathOf } from '../../core/keys.js';
import { scopedSubscription, type StreamOptions } from '../../core/scoped-subscription.js';
import type { EventSource } from '../../core/event-feed.js';
import { requireValuesFit } from '../shared/properties.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import type { Principal } from '../../core/principal.js';
import { forbidden, pathsVisible, requireAt } from '../../core/visibility.js';
import { recordStateReports, stateChangeFromEvent, stateReportProblem } from './equipment-state.js';
import {
  duplicatePath,
  fail,
  hierarchyCycle,
  invalidInput,
  levelNotAllowed,
  notFound,
  unknownParent,
  unknownReference,
} from '../../core/failures.js';

export class EquipmentService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly events: EventSource,
  ) {}

  get(em: Tx, principal: Principal, path: string) {
    return em.findOne(Equipment, { $and: [{ path }, pathsVisible(principal)] });
  }

  list(em: Tx, principal: Principal, filter: EquipmentFilter | null | undefined, page: PageRequest) {
    const where: FilterQuery<Equipment>[] = [pathsVisible(principal)];
    if (filter?.pathPrefix) where.push(underPathOf(filter.pathPrefix));
    if (filter?.level?.length) where.push({ level: { $in: filter.level } });
    if (filter?.state?.length) where.push({ state: { $in: filter.state } });
    if (filter?.equipmentClass) where.push({ equipmentClass: { code: filter.equipmentClass } });
    return paginate(em, Equipment, { $and: where }, page, 'path');
  }

  create(principal: Principal, input: CreateEquipmentInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkPathSegment('code', input.code);
      checkText('name', input.name);
      const parent = input.parentPath ? await findParent(tx, input.parentPath) : null;
      const path = parent ? `${parent.path}/${input.code}` : input.code;
      if (parent) requireAt(principal, Permission.ManageMasterData, parent.path, () => unknownParent(parent.path));
      else if (!principal.can(Permission.ManageMasterData, path))
        throw forbidden(principal, `create the enterprise ${path}`);
      checkLevel(input.level, parent);
      if (await tx.count(Equipment, { path })) fail(duplicatePath(path));
      const equipmentClass = input.equipmentClass ? await findClass(tx, input.equipmentClass) : null;
      requireValuesFit(equipmentClass, input.properties, 'equipment');
      const equipment = tx.create(Equipment, {
        path,
        code: input.code,
        name: input.name.trim(),
        level: input.level,
        parent,
        equipmentClass,
        properties: input.properties,
      });
      work.changed('EquipmentCreated', equipment, equipment.path);
      return equipment;
    });
  }

  update(principal: Principal, path: string, input: UpdateEquipmentInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const equipment =
        (await tx.findOne(Equipment, { path }, { populate: ['equipmentClass'] })) ?? fail(notFound('equipment', path));
      requireAt(principal, Permission.ManageMasterData, path, () => notFound('equipment', path));
      const before = snapshot(equipment);
      if (input.name != null) {
        checkText('name', input.name);
        equipment.name = input.name.trim();
      }
      let parent = equipment.parent ? await tx.findOneOrFail(Equipment, equipment.parent.id) : null;
      if (input.parentPath != null) {
        checkPath('parentPath', input.parentPath);
        if (input.parentPath === path || input.parentPath.startsWith(`${path}/`))
          fail(hierarchyCycle(path, input.parentPath));
        parent = await findParent(tx, input.parentPath);
        requireAt(principal, Permission.ManageMasterData, parent.path, () => unknownParent(input.parentPath!));
        checkLevel(equipment.level, parent);
        equipment.parent = parent;
      }
      if (input.code != null) {
        checkPathSegment('code', input.code);
        equipment.code = input.code;
      }
      const newPath = parent ? `${parent.path}/${equipment.code}` : equipment.code;
      if (newPath !== path) {
        if (await tx.count(Equipment, { path: newPath })) fail(duplicatePath(newPath));
        await tx.flush();
        await tx.execute('update equipment set path = ? || substr(path, ?) where path = ? or path like ?', [
          newPath,
          path.length + 1,
          path,
          likePrefix(`${path}/`),
        ]);
        equipment.path = newPath;
      }
      if (input.equipmentClass != null) {
        equipment.equipmentClass = input.equipmentClass === '' ? null : await findClass(tx, input.equipmentClass);
      }
      if (input.properties != null) equipment.properties = input.properties;
      if (input.equipmentClass != null || input.properties != null)
        requireValuesFit(equipment.equipmentClass ?? null, equipment.properties, 'equipment');
      work.changed('EquipmentUpdated', equipment, equipment.path, before);
      return equipment;
    });
  }

  /** A state set by hand: recorded by the one state writer, audited, announced after the commit. */
  setState(principal: Principal, input: SetEquipmentStateInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const equipment =
        (await tx.findOne(Equipment, { path: input.path }, { lockMode: LockMode.PESSIMISTIC_WRITE })) ??
        fail(notFound('equipment', input.path));
      requireAt(principal, Permission.SetEquipmentState, input.path, () => notFound('equipment', input.path));
      const problem = stateReportProblem(input.state, input.reason);
      if (problem) fail(invalidInput('reason', problem));
      const before = snapshot(equipment);
      const report = {
        path: equipment.path,
        state: input.state,
        reason: input.reason?.trim() || null,
        at: new Date(),
        source: `api:${principal.name}`,
        sequence: null,
      };
      const events = await recordStateReports(tx, this.events.subjects, [report]);
      if (events.length) {
        // The writer wrote the row with SQL: read it back, so the audit and the answer show the new state.
        await tx.refreshOrFail(equipment);
        for (const event of events) work.emit(event);
        work.audit('EquipmentStateSet', equipment, before);
      }
      return equipment;
    });
  }

  /** Live state changes at `scope` and below, from every hub replica. */
  subscribeStateChanges(
    principal: Principal,
    scope: string,
    stream: StreamOptions = {},
  ): AsyncIterable<EquipmentStateChange> {
    return scopedSubscription(this.events, principal, scope, {
      patterns: (s) => this.events.subjects.equipmentStateChangedScope(s),
      what: 'state changes',
      toValue: stateChangeFromEvent,
      stream,
    });
  }
}

async function findParent(tx: Tx, parentPath: string): Promise<Equipment> {
  checkPath('parentPath', parentPath);
  return (await tx.findOne(Equipment, { path: parentPath })) ?? fail(unknownParent(parentPath));
}

async function findClass(tx: Tx, code: string): Promise<EquipmentClass> {
  return (
    (await tx.findOne(EquipmentClass, { code })) ?? fail(unknownReference('equipmentClass', 'equipment class', code))
  );
}

function checkLevel(level: Equipment['level'], parent: Equipment | null): void {
  const allowed = ALLOWED_PARENT_LEVELS[level];
  const ok = parent ? allowed.includes(parent.level) : allowed.length === 0;
  if (!ok) fail(levelNotAllowed(level, parent?.level ?? null, allowed));
}
