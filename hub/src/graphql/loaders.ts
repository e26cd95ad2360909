import DataLoader from 'dataloader';
import type { EntityName } from '@mikro-orm/core';
import {
  AffectedOrder,
  CampaignBatch,
  Equipment,
  EquipmentClass,
  EquipmentConditionRecord,
  EquipmentStateChange,
  MaterialClass,
  MaterialDefinition,
  MaterialLot,
  MaterialSublot,
  Deviation,
  ElectronicSignature,
  MaterialReservation,
  StepRecord,
  Person,
  PersonnelClass,
  ProductDefinition,
  ProductDefinitionVersion,
  Qualification,
  Redline,
  WorkOrder,
} from '@plantgraph/schema';
import type { Tx } from '../infrastructure/database/database.js';
import type { Principal } from '../core/principal.js';
import type { Page } from '@plantgraph/schema';
import { type PageRequest, pagesPerParent } from '../core/paging.js';
import { plainFind } from '../core/plain-rows.js';
import { pathsVisible, placedVisible } from '../core/visibility.js';

/**
 * Per-request batch loaders: a nested query costs one SQL statement per level and relation,
 * however many parents there are. They serve reads only, so their records are plain rows
 * (`plainFind`), not entities of the request's identity map.
 */
export function createLoaders(em: Tx, principal: Principal) {
  const byId = <T extends { id: string }>(entity: EntityName<T>, visible: object = {}) =>
    new DataLoader<string, T | null>(async (ids) => {
      const rows = await plainFind(em, entity, { $and: [{ id: { $in: [...ids] } }, visible] } as never);
      const map = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => map.get(id) ?? null);
    });

  const byParent = <T extends object>(entity: EntityName<T>, fk: string, orderBy: string, visible: object = {}) =>
    new DataLoader<string, T[]>(async (ids) => {
      const rows = await plainFind(em, entity, { $and: [{ [fk]: { $in: [...ids] } }, visible] } as never, {
        [orderBy]: 'asc',
      });
      const groups = new Map<string, T[]>(ids.map((id) => [id, []]));
      for (const r of rows) groups.get((r as Record<string, { id: string }>)[fk]!.id)?.push(r);
      return ids.map((id) => groups.get(id)!);
    });

  /** One page of a list per parent; the parents of one batch with the same page arguments share a statement. */
  const pageByParent = <T extends { id: string }>(
    entity: EntityName<T>,
    fk: keyof T & string,
    orderBy: keyof T & string,
    direction: 'asc' | 'desc',
  ) =>
    new DataLoader<{ parent: string; page: PageRequest }, Page<T>, string>(
      async (keys) => {
        const groups = new Map<string, { page: PageRequest; parents: string[] }>();
        for (const { parent, page } of keys) {
          const args = JSON.stringify([page.first, page.after ?? null]);
          const group = groups.get(args) ?? { page, parents: [] };
          group.parents.push(parent);
          groups.set(args, group);
        }
        const pages = new Map<string, Page<T>>();
        for (const [args, { page, parents }] of groups) {
          const found = await pagesPerParent(em, entity, fk, parents, page, orderBy, direction);
          for (const [parent, p] of found) pages.set(JSON.stringify([parent, args]), p);
        }
        return keys.map(
          ({ parent, page }) => pages.get(JSON.stringify([parent, JSON.stringify([page.first, page.after ?? null])]))!,
        );
      },
      { cacheKeyFn: ({ parent, page }) => JSON.stringify([parent, JSON.stringify([page.first, page.after ?? null])]) },
    );

  const loaders = {
    // Relations are filtered too: a parent or location outside the caller's scopes reads as null.
    equipment: byId(Equipment, pathsVisible(principal)),
    equipmentChildren: byParent(Equipment, 'parent', 'path', pathsVisible(principal)),
    equipmentClass: byId(EquipmentClass),
    // Reached through a visible equipment only.
    conditionRecordsOf: byParent(EquipmentConditionRecord, 'equipment', 'recordedAt'),
    // Reached through a visible equipment only; newest first.
    stateHistoryOf: pageByParent(EquipmentStateChange, 'equipment', 'id', 'desc'),
    openConditionRecordsOf: byParent(EquipmentConditionRecord, 'equipment', 'recordedAt', { clearedAt: null }),
    materialClass: byId(MaterialClass),
    materialDefinition: byId(MaterialDefinition),
    materialLot: byId(MaterialLot, placedVisible(principal, 'location')),
    // A visible order shows the lots it holds, wherever they are stored.
    materialLotAny: byId(MaterialLot),
    reservationsOfOrder: byParent(MaterialReservation, 'workOrder', 'createdAt'),
    stepsOfOrder: byParent(StepRecord, 'workOrder', 'sequence'),
    deviationsOfOrder: byParent(Deviation, 'workOrder', 'createdAt'),
    deviationsOfLot: byParent(Deviation, 'lot', 'createdAt'),
    // Reached through a visible order only.
    affectedOrdersOf: byParent(AffectedOrder, 'workOrder', 'createdAt'),
    campaignBatchesOf: byParent(CampaignBatch, 'workOrder', 'sequence'),
    redline: byId(Redline),
    workOrder: byId(WorkOrder, { equipment: pathsVisible(principal) }),
    // Signatures shown with the record they sign (21 CFR 11.50), keyed `<recordType>:<id>`.
    signaturesOf: new DataLoader<string, ElectronicSignature[]>(async (keys) => {
      const byType = new Map<string, string[]>();
      for (const key of keys) {
        const [type, id] = key.split(':') as [string, string];
        byType.set(type, [...(byType.get(type) ?? []), id]);
      }
      const rows = await em.find(
        ElectronicSignature,
        { $or: [...byType].map(([recordType, ids]) => ({ recordType, recordId: { $in: ids } })) },
        { orderBy: { signedAt: 'asc', id: 'asc' } },
      );
      return keys.map((key) => rows.filter((r) => `${r.recordType}:${r.recordId}` === key));
    }),
    sublotsOfLot: byParent(MaterialSublot, 'lot', 'sublotNumber'),
    qualificationsOfPerson: byParent(Qualification, 'person', 'code'),
    personnelClassesOfPerson: new DataLoader<string, PersonnelClass[]>(async (ids) => {
      const people = await em.find(Person, { id: { $in: [...ids] } }, { populate: ['personnelClasses'] });
      const map = new Map(people.map((p) => [p.id, p.personnelClasses.getItems()]));
      return ids.map((id) => map.get(id) ?? []);
    }),
    productDefinition: byId(ProductDefinition),
    productDefinitionVersion: byId(ProductDefinitionVersion),
    versionsOfProductDefinition: byParent(ProductDefinitionVersion, 'productDefinition', 'version'),
    /**
     * Hands the related records a list of orders read whole in its own statement
     * (`WorkOrderService.list` with `read.with`) to the loaders, so their fields cost nothing
     * more. The orders' equipment passed the list's scope filter, the same as the equipment
     * loader's; versions and product definitions are not scope-filtered.
     */
    primeWithOrders(orders: WorkOrder[], read: readonly string[]) {
      for (const order of orders) {
        const version = order.productDefinitionVersion;
        if (read.includes('equipment')) loaders.equipment.prime(order.equipment.id, order.equipment);
        if (read.includes('productDefinitionVersion')) loaders.productDefinitionVersion.prime(version.id, version);
        if (read.includes('productDefinitionVersion.productDefinition'))
          loaders.productDefinition.prime(version.productDefinition.id, version.productDefinition);
      }
    },
  };
  return loaders;
}

export type Loaders = ReturnType<typeof createLoaders>;
