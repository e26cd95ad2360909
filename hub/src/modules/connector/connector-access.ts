import type { FilterQuery } from '@mikro-orm/core';
import { type Grant, Permission, ROLE_PERMISSIONS, WHOLE_INSTALLATION } from '@plantgraph/schema';
import { likePrefix } from '../../core/keys.js';
import { Principal, within } from '../../core/principal.js';

/** Rows (instances, deliveries, imports) whose connector scope lies where the principal may `permission`. */
// biome-ignore lint/suspicious/noExplicitAny: applies to every connector table (they all have `scope`)
export function scopesVisible(principal: Principal, permission: Permission = Permission.Read): FilterQuery<any> {
  const scopes = principal.scopesFor(permission);
  if (scopes.includes(WHOLE_INSTALLATION)) return {};
  if (!scopes.length) return { id: { $in: [] as string[] } };
  return { $or: scopes.flatMap((s) => [{ scope: s }, { scope: { $like: likePrefix(`${s}/`) } }]) };
}

/** Whether the principal may `permission` at a connector's scope (`*` needs an installation-wide grant). */
export function canAtScope(principal: Principal, permission: Permission, scope: string): boolean {
  if (scope === WHOLE_INSTALLATION) return principal.scopesFor(permission).includes(WHOLE_INSTALLATION);
  return principal.can(permission, scope);
}

/**
 * Grants a caller may give a connector: each within the connector's scope, and each of the role's
 * permissions held by the caller there, so configuring a connector never raises anyone's rights.
 */
export function grantProblems(principal: Principal, scope: string, grants: readonly Grant[]): string[] {
  const problems: string[] = [];
  for (const g of grants) {
    if (!within(g.scope, scope)) problems.push(`${g.role}@${g.scope} lies outside the connector's scope ${scope}`);
    const missing = (ROLE_PERMISSIONS[g.role] ?? []).filter((p) => !canAtScope(principal, p, g.scope));
    if (missing.length) problems.push(`${g.role}@${g.scope} needs ${missing.join(', ')} there, which you do not hold`);
  }
  return problems;
}

/** The principal a connector instance acts as: `connector:<name>` with its configured grants. */
export function connectorPrincipal(name: string, grants: readonly Grant[]): Principal {
  return Principal.service(`connector:${name}`, grants);
}
