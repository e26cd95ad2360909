import { Migration } from '@mikro-orm/migrations';

export class Migration20261202080000 extends Migration {
  override name = 'Migration20261202080000';

  /**
   * The transactional outbox (ADR 0010). Every hub event is written in the transaction of the change
   * it announces; `seq` is left empty and filled after the commit, densely and in commit order, by
   * whichever replica sequences first (under the lock of the single `event_outbox_head` row). The
   * sequence number is the event's cursor: subscribers resume from it and fill gaps with it.
   */
  override up(): void | Promise<void> {
    this.addSql(`create table "event_outbox" (
      "id" bigserial primary key,
      "event_id" uuid not null default gen_random_uuid(),
      "seq" bigint null,
      "subject" text collate "C" not null,
      "type" text not null,
      "path" text collate "C" null,
      "data" jsonb not null,
      "created_at" timestamptz not null default now());`);
    this.addSql(`create unique index "event_outbox_seq" on "event_outbox" ("seq");`);
    this.addSql(`create index "event_outbox_unsequenced" on "event_outbox" ("id") where "seq" is null;`);
    this.addSql(
      `create table "event_outbox_head" ("id" int primary key check ("id" = 1), "last_seq" bigint not null);`,
    );
    this.addSql(`insert into "event_outbox_head" ("id", "last_seq") values (1, 0);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table "event_outbox_head";`);
    this.addSql(`drop table "event_outbox";`);
  }
}
