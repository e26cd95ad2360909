import type { FilterQuery } from '@mikro-orm/core';
import { Equipment, Permission, WHOLE_INSTALLATION } from '@plantgraph/schema';
import type { Tx } from '../infrastructure/database/database.js';
import { likePrefix } from './keys.js';
import type { Principal } from './principal.js';
import { type DomainFailure, fail, unknownReference } from './failures.js';
import { FaultCode, HubFault } from './faults.js';

/** Matches no row: for a principal without the permission anywhere. */
const NOTHING = { id: { $in: [] as string[] } };

/**
 * Rows whose equipment path lies in the principal's scopes for `permission`. Every query of
 * hierarchy-scoped data goes through this, so lists, lookups, nested fields and counts agree.
 */
// biome-ignore lint/suspicious/noExplicitAny: applies to any entity with a path
export function pathsVisible(principal: Principal, permission: Permission = Permission.Read): FilterQuery<any> {
  const scopes = principal.scopesFor(permission);
  if (scopes.includes(WHOLE_INSTALLATION)) return {};
  if (!scopes.length) return NOTHING;
  return { $or: scopes.flatMap((s) => [{ path: s }, { path: { $like: likePrefix(`${s}/`) } }]) };
}

/** Rows placed at an equipment (`relation`), or placed nowhere, which needs enterprise-wide read. */
// biome-ignore lint/suspicious/noExplicitAny: applies to any entity placed at equipment
export function placedVisible(principal: Principal, relation: string): FilterQuery<any> {
  const scopes = principal.scopesFor(Permission.Read);
  if (scopes.includes(WHOLE_INSTALLATION)) return {};
  const placed = { [relation]: pathsVisible(principal) };
  return principal.canEnterpriseWide(Permission.Read) ? { $or: [placed, { [relation]: null }] } : placed;
}

/**
 * Master data shared by the whole enterprise (classes, material definitions) belongs to no part of
 * the hierarchy: whoever may read anywhere sees all of it, anyone else nothing.
 */
// biome-ignore lint/suspicious/noExplicitAny: applies to any shared master data
export function sharedVisible(principal: Principal): FilterQuery<any> {
  return principal.canAnywhere(Permission.Read) ? {} : NOTHING;
}

/** A refusal of an act the caller can see but holds no grant for; logged, so denials can be audited. */
export function forbidden(principal: Principal, what: string): HubFault {
  console.warn(`[auth] denied ${principal.name}: ${what}`);
  return new HubFault(
    FaultCode.Forbidden,
    `You are not allowed to ${what}. Ask an administrator for a role that grants it.`,
  );
}

/**
 * Guards a command at an equipment path. Out of the principal's sight it fails exactly as if
 * the equipment did not exist (`hidden`), so denials leak nothing; in sight but not permitted,
 * it is refused with FORBIDDEN.
 */
export function requireAt(
  principal: Principal,
  permission: Permission,
  path: string,
  hidden: () => DomainFailure,
): void {
  if (!principal.can(Permission.Read, path)) {
    console.warn(`[auth] denied ${principal.name}: ${permission} at a path out of scope`);
    fail(hidden());
  }
  if (!principal.can(permission, path)) throw forbidden(principal, `${permission} at ${path}`);
}

/** Guards a command on master data that belongs to the whole enterprise. */
export function requireEnterpriseWide(principal: Principal, permission: Permission): void {
  if (!principal.canEnterpriseWide(permission))
    throw forbidden(
      principal,
      `${permission} for master data shared by the whole enterprise (it needs a grant on an enterprise, e.g. scope "acme")`,
    );
}

/**
 * Master data placed at an equipment (a lot's location, a person's home): the caller must manage
 * master data there; placed nowhere, it must do so enterprise-wide.
 */
export function requireManageablePlace(
  principal: Principal,
  place: { path: string } | null | undefined,
  hidden: () => DomainFailure,
): void {
  requireAtPlace(principal, Permission.ManageMasterData, place, hidden);
}

/** A permission on something placed at an equipment, or placed nowhere (then enterprise-wide). */
export function requireAtPlace(
  principal: Principal,
  permission: Permission,
  place: { path: string } | null | undefined,
  hidden: () => DomainFailure,
): void {
  if (place) requireAt(principal, permission, place.path, hidden);
  else requireEnterpriseWide(principal, permission);
}

/** Resolves the equipment named by input `field` to place master data at, checked for the caller. */
export async function placeAt(
  tx: Tx,
  principal: Principal,
  field: string,
  path: string | null | undefined,
): Promise<Equipment | null> {
  const unknown = () => unknownReference(field, 'equipment', path!);
  const place = path ? ((await tx.findOne(Equipment, { path })) ?? fail(unknown())) : null;
  requireManageablePlace(principal, place, unknown);
  return place;
}
