import { wrap } from '@mikro-orm/core';
import {
  AffectedOrder,
  Alert,
  CampaignBatch,
  ConnectorDelivery,
  ConnectorImport,
  ConnectorInstance,
  Deviation,
  Equipment,
  EquipmentConditionRecord,
  MaintenanceOrder,
  MaterialLot,
  MaterialReservation,
  MaterialSublot,
  Person,
  PlannedReceipt,
  Qualification,
  ShiftAssignment,
  ShiftCalendar,
  StepRecord,
  WHOLE_INSTALLATION,
  WorkOrder,
} from '@plantgraph/schema';
import type { Tx } from '../infrastructure/database/database.js';

/**
 * Master data shared by the whole enterprise: placed nowhere, read by anyone with an
 * enterprise-wide grant (as `sharedVisible` and `requireEnterpriseWide` treat it).
 */
const SHARED_MASTER_DATA = new Set([
  'EquipmentClass',
  'MaterialClass',
  'PersonnelClass',
  'MaterialDefinition',
  'ProductDefinition',
  'ProductDefinitionVersion',
  'Redline',
]);

/** Fields that must never reach the audit trail, whatever record they belong to (a connector's sealed secrets too). */
const SECRET_FIELDS = new Set(['secretHash', 'secrets']);

/*
 * Relations a command need not have loaded, loaded through its transaction when they are only
 * references yet: embedded PGlite has one connection, which the transaction holds.
 */
async function equipmentPath(tx: Tx, equipment: Equipment | null | undefined): Promise<string | null> {
  if (!equipment) return null;
  return wrap(equipment).isInitialized()
    ? equipment.path
    : (await tx.findOneOrFail(Equipment, { id: equipment.id })).path;
}

async function orderPath(tx: Tx, order: WorkOrder): Promise<string | null> {
  return equipmentPath(
    tx,
    wrap(order).isInitialized() ? order.equipment : (await tx.findOneOrFail(WorkOrder, { id: order.id })).equipment,
  );
}

async function lotPath(tx: Tx, lot: MaterialLot): Promise<string | null> {
  return equipmentPath(
    tx,
    wrap(lot).isInitialized() ? lot.location : (await tx.findOneOrFail(MaterialLot, { id: lot.id })).location,
  );
}

async function personPath(tx: Tx, person: Person): Promise<string | null> {
  return equipmentPath(
    tx,
    wrap(person).isInitialized()
      ? person.homeEquipment
      : (await tx.findOneOrFail(Person, { id: person.id })).homeEquipment,
  );
}

/**
 * Where an audited record lies, stored with each audit record so reads follow the record's scope
 * (`AuditRecord.scope`): the equipment path it is placed at; null for shared master data and for
 * lots and people placed nowhere (both need an enterprise-wide grant, as when reading them); `*`
 * for everything else (API keys, flows, types added later), readable installation-wide only, so
 * a new type is hidden until someone decides where it belongs.
 *
 * Stored rather than derived at read time: the trail outlives moves and deletions, and each
 * record keeps the scope it had when it was written.
 */
export async function auditScope(tx: Tx, entity: object): Promise<string | null> {
  if (SHARED_MASTER_DATA.has(entity.constructor.name)) return null;
  if (entity instanceof Equipment || entity instanceof Alert) return entity.path;
  if (entity instanceof ShiftCalendar || entity instanceof ShiftAssignment) return entity.scope;
  if (entity instanceof PlannedReceipt) return entity.location;
  if (entity instanceof ConnectorInstance || entity instanceof ConnectorDelivery || entity instanceof ConnectorImport)
    return entity.scope;
  if (entity instanceof EquipmentConditionRecord || entity instanceof MaintenanceOrder)
    return equipmentPath(tx, entity.equipment);
  if (entity instanceof CampaignBatch || entity instanceof AffectedOrder) return orderPath(tx, entity.workOrder);
  if (entity instanceof WorkOrder) return orderPath(tx, entity);
  if (entity instanceof Deviation) return entity.workOrder ? orderPath(tx, entity.workOrder) : lotPath(tx, entity.lot!);
  if (entity instanceof StepRecord || entity instanceof MaterialReservation) return orderPath(tx, entity.workOrder);
  if (entity instanceof MaterialLot) return lotPath(tx, entity);
  if (entity instanceof MaterialSublot) return lotPath(tx, entity.lot);
  if (entity instanceof Person) return personPath(tx, entity);
  if (entity instanceof Qualification) return personPath(tx, entity.person);
  return WHOLE_INSTALLATION;
}

/** A stored snapshot without secrets (an API key's hash), for writing and for showing old records. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !SECRET_FIELDS.has(k))
      .map(([k, v]) => [k, withoutSecrets(v)]),
  );
}
