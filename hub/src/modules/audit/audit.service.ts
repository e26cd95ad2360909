import type { FilterQuery } from '@mikro-orm/core';
import { AuditRecord, Permission, WHOLE_INSTALLATION } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { verifyAuditChain } from '../../core/audit-chain.js';
import { withoutSecrets } from '../../core/audit-scope.js';
import { likePrefix } from '../../core/keys.js';
import { paginate, type PageRequest } from '../../core/paging.js';
import type { Principal } from '../../core/principal.js';
import { forbidden } from '../../core/visibility.js';

type Connection<T> = Awaited<ReturnType<typeof paginate<T & { id: string }>>>;

/**
 * Reads of the audit trail. Each record carries the scope of what it audits (`AuditRecord.scope`),
 * and a caller reads the records it could read the audited record for: at a path in its scopes;
 * shared master data with an enterprise-wide grant; the installation's records (API keys, flows)
 * and the chain as a whole with an installation-wide one.
 */
export class AuditService {
  /** Changes to one record, oldest first; records out of the caller's sight are left out, as if absent. */
  async trail(
    em: Tx,
    principal: Principal,
    entityType: string,
    entityId: string,
    page: PageRequest,
  ): Promise<Connection<AuditRecord>> {
    const connection = await paginate(
      em,
      AuditRecord,
      { $and: [{ entityType, entityId }, auditVisible(principal)] },
      page,
    );
    // Records written before hashes were kept out of snapshots still hold them: never show them.
    const edges = connection.edges.map((e) => ({
      ...e,
      node: { ...e.node, before: withoutSecrets(e.node.before), after: withoutSecrets(e.node.after) } as AuditRecord,
    }));
    // Not a spread: that would read `totalCount`, which counts only when asked for.
    return {
      edges,
      pageInfo: connection.pageInfo,
      get totalCount() {
        return connection.totalCount;
      },
    };
  }

  /** Recomputes the whole hash chain and names the first broken link: it spans every scope. */
  verifyChain(em: Tx, principal: Principal) {
    if (!principal.scopesFor(Permission.Read).includes(WHOLE_INSTALLATION))
      throw forbidden(principal, 'verify the whole audit chain (it needs an installation-wide grant, scope "*")');
    return verifyAuditChain(em);
  }
}

/** Audit records the principal may read, by the scope stored with each. */
function auditVisible(principal: Principal): FilterQuery<AuditRecord> {
  const scopes = principal.scopesFor(Permission.Read);
  if (scopes.includes(WHOLE_INSTALLATION)) return {};
  const placed = scopes.flatMap((s) => [{ scope: s }, { scope: { $like: likePrefix(`${s}/`) } }]);
  const shared = principal.canEnterpriseWide(Permission.Read) ? [{ scope: null }] : [];
  return { $or: [...placed, ...shared, { id: { $in: [] as string[] } }] };
}
