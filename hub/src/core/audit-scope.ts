import { type EntityClass, wrap } from '@mikro-orm/core';
import { WHOLE_INSTALLATION } from '@plantgraph/schema';
import type { Tx } from '../infrastructure/database/database.js';

/**
 * Master data shared by the whole enterprise: placed nowhere, read by anyone with an
 * enterprise-wide grant (as `sharedVisible` and `requireEnterpriseWide` treat it).
 */
const SHARED_MASTER_DATA = new Set([
  'EquipmentClass', 'MaterialClass', 'PersonnelClass', 'MaterialDefinition', 'ProductDefinition', 'ProductDefinitionVersion',
]);

/** Fields that must never reach the audit trail, whatever record they belong to. */
const SECRET_FIELDS = new Set(['secretHash']);

type Placed = { path?: string } | null | undefined;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the audited entities have no common type
type Audited = Record<string, any>;

/**
 * A relation, loaded if it is only a reference yet (a command need not have loaded it). Loaded
 * through the command's transaction: embedded PGlite has one connection, which the transaction holds.
 */
async function load<T extends object>(tx: Tx, entity: T | null | undefined): Promise<T | null> {
  if (!entity) return null;
  if (wrap(entity).isInitialized()) return entity;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any entity class with an id
  return tx.findOne(entity.constructor as EntityClass<any>, { id: (entity as { id: string }).id }) as Promise<T | null>;
}

const pathOf = async (tx: Tx, equipment: Placed) => ((await load(tx, equipment ?? null)) as { path: string } | null)?.path ?? null;

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
  const e = entity as Audited;
  const type = entity.constructor.name;
  if (SHARED_MASTER_DATA.has(type)) return null;
  switch (type) {
    case 'Equipment':
    case 'Alert':
      return e.path as string;
    case 'ShiftCalendar':
      return e.scope as string;
    case 'WorkOrder':
      return pathOf(tx, e.equipment);
    case 'StepRecord':
    case 'Deviation':
    case 'MaterialReservation':
      return pathOf(tx, (await load(tx, e.workOrder as Audited))?.equipment);
    case 'MaterialLot':
      return pathOf(tx, e.location);
    case 'MaterialSublot':
      return pathOf(tx, (await load(tx, e.lot as Audited))?.location);
    case 'Person':
      return pathOf(tx, e.homeEquipment);
    case 'Qualification':
      return pathOf(tx, (await load(tx, e.person as Audited))?.homeEquipment);
    default:
      return WHOLE_INSTALLATION;
  }
}

/** A stored snapshot without secrets (an API key's hash), for writing and for showing old records. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !SECRET_FIELDS.has(k)).map(([k, v]) => [k, withoutSecrets(v)]));
}
