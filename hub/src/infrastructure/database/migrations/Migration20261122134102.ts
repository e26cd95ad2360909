import { createHash } from 'node:crypto';
import { Migration } from '@mikro-orm/migrations';

/**
 * Makes the audit trail tamper-evident and append-only: a hash chain over all records (records
 * written before this migration are chained here, in id order) and triggers that refuse UPDATE,
 * DELETE and TRUNCATE. The hash is frozen here as it was when written; the live code's must match.
 */
export class Migration20261122134102 extends Migration {
  override name = 'Migration20261122134102';

  override async up(): Promise<void> {
    await this.execute(
      'alter table "audit_record" add "reason" text null, add "previous_hash" char(64) null, add "hash" char(64) null',
    );
    let previous = '0'.repeat(64);
    const rows = await this.execute(
      'select id, at, actor, action, entity_type, entity_id, before, after from audit_record order by id',
    );
    for (const r of rows as Record<string, unknown>[]) {
      const body = canonical({
        at: new Date(r.at as string).toISOString(),
        actor: r.actor,
        action: r.action,
        entityType: r.entity_type,
        entityId: r.entity_id,
        before: r.before ?? null,
        after: r.after ?? null,
        reason: null,
      });
      const hash = createHash('sha256').update(`${previous}\n${body}`).digest('hex');
      await this.execute('update audit_record set previous_hash = ?, hash = ? where id = ?', [previous, hash, r.id]);
      previous = hash;
    }
    await this.execute(
      'alter table "audit_record" alter column "previous_hash" set not null, alter column "hash" set not null',
    );
    await this.execute(`create function audit_record_refuse_change() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_record is append-only: % is not allowed; correct a record through a deviation', tg_op;
      end $$`);
    await this.execute(
      'create trigger audit_record_append_only before update or delete on audit_record for each row execute function audit_record_refuse_change()',
    );
    await this.execute(
      'create trigger audit_record_no_truncate before truncate on audit_record for each statement execute function audit_record_refuse_change()',
    );
  }

  override async down(): Promise<void> {
    await this.execute('drop trigger audit_record_no_truncate on audit_record');
    await this.execute('drop trigger audit_record_append_only on audit_record');
    await this.execute('drop function audit_record_refuse_change()');
    await this.execute(
      'alter table "audit_record" drop column "reason", drop column "previous_hash", drop column "hash"',
    );
  }
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}
