import type { HubEvent } from '@plantgraph/connector-sdk';
import type { Tx } from '../../infrastructure/database/database.js';

/**
 * Where the relay reads the hub's events from: everything committed, in commit order, from a cursor,
 * so a relay that stops (a crash, a lost lease) resumes where it left off and misses nothing.
 */
export interface EventSource {
  /** Events of `types` after position `after` (a decimal string), in order, at most `limit`. */
  read(em: Tx, after: string, types: readonly string[], limit: number): Promise<HubEvent[]>;
  /** The position of the latest event: a new connector starts there, not with the hub's history. */
  head(em: Tx): Promise<string>;
}

interface AuditRow {
  seq: string;
  action: string;
  entity_id: string;
  after: Record<string, unknown> | string | null;
  scope: string | null;
  at: Date | string;
}

/**
 * The audit trail as an event source, until the transactional outbox lands: every change made through
 * a unit of work records its audit entry, named as its event, in the change's own transaction, and
 * entries get their ids under the chain's lock, so ids follow commit order and make a safe cursor.
 */
export class AuditTrailEventSource implements EventSource {
  async head(em: Tx): Promise<string> {
    const [row] = await em.execute<{ seq: string }[]>(`select coalesce(max(id), 0)::text as seq from audit_record`);
    return row?.seq ?? '0';
  }

  async read(em: Tx, after: string, types: readonly string[], limit: number): Promise<HubEvent[]> {
    if (!types.length) return [];
    const rows = await em.execute<AuditRow[]>(
      `select id::text as seq, action, entity_id, after, scope, at from audit_record
        where id > ? and action in (${types.map(() => '?').join(', ')}) order by id limit ?`,
      [after, ...types, limit],
    );
    return rows.map((r) => {
      const record = (typeof r.after === 'string' ? JSON.parse(r.after) : (r.after ?? {})) as Record<string, unknown>;
      const key = record.number ?? record.code ?? record.path ?? r.entity_id;
      return {
        id: `audit-${r.seq}`,
        seq: r.seq,
        type: r.action,
        key: String(key),
        path: r.scope,
        at: new Date(r.at).toISOString(),
      };
    });
  }
}
