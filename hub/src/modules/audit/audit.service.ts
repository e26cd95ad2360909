import { AuditRecord, Permission } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { verifyAuditChain } from '../../core/audit-chain.js';
import { paginate, type PageRequest } from '../../core/paging.js';
import type { Principal } from '../../core/principal.js';
import { requireEnterpriseWide } from '../../core/visibility.js';

/** Reads of the audit trail. It spans every scope, so reading it takes an enterprise-wide grant. */
export class AuditService {
  /** Changes to one record, oldest first. */
  trail(em: Tx, principal: Principal, entityType: string, entityId: string, page: PageRequest) {
    requireEnterpriseWide(principal, Permission.Read);
    return paginate(em, AuditRecord, { entityType, entityId }, page);
  }

  /** Recomputes the whole hash chain and names the first broken link. */
  verifyChain(em: Tx, principal: Principal) {
    requireEnterpriseWide(principal, Permission.Read);
    return verifyAuditChain(em);
  }
}
