import { createHash } from 'node:crypto';
import { AuditRecord, WHOLE_INSTALLATION } from '@plantgraph/schema';
import type { Tx } from '../infrastructure/database/database.js';

/** The hash the first record links to. */
export const GENESIS = '0'.repeat(64);
/** Advisory lock serialising appends, so concurrent transactions cannot fork the chain. */
const CHAIN_LOCK = 7_262_001;

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string;
  before: unknown;
  after: unknown;
  reason?: string | null;
  /**
   * Who may read the record (`AuditRecord.scope`); left out, it is the installation's (`*`). Not
   * hashed: it says who may read what the chain attests, and stays as append-only as the rest.
   */
  scope?: string | null;
}

type Hashed = Pick<AuditRecord, 'at' | 'actor' | 'action' | 'entityType' | 'entityId' | 'before' | 'after' | 'reason'>;

/** JSON with object keys sorted, so a record hashes the same after a round trip through jsonb. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

export function chainHash(previousHash: string, r: Hashed): string {
  const body = canonical({
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    entityType: r.entityType,
    entityId: r.entityId,
    before: r.before ?? null,
    after: r.after ?? null,
    reason: r.reason ?? null,
  });
  return createHash('sha256').update(`${previousHash}\n${body}`).digest('hex');
}

/**
 * Appends records to the chain inside the caller's transaction (the lock lasts until commit), with one
 * multi-row insert whatever their number. The records get their ids in the order given (`order by n`),
 * which is the order the chain links them in and `verifyAuditChain` reads them back in.
 */
export async function appendToAuditChain(tx: Tx, actor: string, entries: AuditEntry[]): Promise<void> {
  if (!entries.length) return;
  await tx.execute('select pg_advisory_xact_lock(?)', [CHAIN_LOCK]);
  const [last] = await tx.execute<{ hash: string }[]>('select hash from audit_record order by id desc limit 1');
  let previousHash = last?.hash ?? GENESIS;
  const at = new Date();
  const rows = entries.map((e, n) => {
    const record = { ...e, actor, at, reason: e.reason ?? null };
    const hash = chainHash(previousHash, record);
    const row = {
      at: at.toISOString(),
      actor,
      action: e.action,
      entity_type: e.entityType,
      entity_id: e.entityId,
      before: e.before ?? null,
      after: e.after ?? null,
      reason: record.reason,
      scope: e.scope === undefined ? WHOLE_INSTALLATION : e.scope,
      previous_hash: previousHash,
      hash,
      n,
    };
    previousHash = hash;
    return row;
  });
  await tx.execute(
    `insert into audit_record (at, actor, action, entity_type, entity_id, before, after, reason, scope,
       previous_hash, hash)
     select at, actor, action, entity_type, entity_id, before, after, reason, scope, previous_hash, hash
       from jsonb_to_recordset(?::jsonb)
         as r(at timestamptz, actor text, action text, entity_type text, entity_id text, before jsonb,
              after jsonb, reason text, scope text, previous_hash text, hash text, n bigint)
      order by n`,
    [JSON.stringify(rows)],
  );
}

export interface ChainVerification {
  valid: boolean;
  checked: number;
  firstBrokenId: string | null;
  problem: string | null;
}

/** Recomputes the whole chain in id order; names the first record that does not link or hash. */
export async function verifyAuditChain(em: Tx, pageSize = 2000): Promise<ChainVerification> {
  let previousHash = GENESIS;
  let checked = 0;
  let afterId = '0';
  for (;;) {
    const rows = await em.find(
      AuditRecord,
      { id: { $gt: afterId } },
      { orderBy: { id: 'asc' }, limit: pageSize, disableIdentityMap: true },
    );
    for (const r of rows) {
      checked++;
      if (r.previousHash !== previousHash)
        return {
          valid: false,
          checked,
          firstBrokenId: r.id,
          problem: `record ${r.id} does not link to the record before it (a record was removed or inserted).`,
        };
      if (chainHash(previousHash, r) !== r.hash)
        return {
          valid: false,
          checked,
          firstBrokenId: r.id,
          problem: `record ${r.id} was changed after it was written (its content no longer matches its hash).`,
        };
      previousHash = r.hash;
    }
    if (rows.length < pageSize) return { valid: true, checked, firstBrokenId: null, problem: null };
    afterId = rows.at(-1)!.id;
  }
}
