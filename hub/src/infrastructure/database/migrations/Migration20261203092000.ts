import { Migration } from '@mikro-orm/migrations';

export class Migration20261203092000 extends Migration {
  override name = 'Migration20261203092000';

  /**
   * Events are numbered in the transaction that writes them (ADR 0051): `event_outbox_head.last_seq`
   * is the last number handed out, and this row is how far the relays have published. Everything
   * numbered until now was relayed by the relay that numbered it, so the relays start at the head.
   */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "event_outbox_relay" ("id" int primary key check ("id" = 1), "relayed_seq" bigint not null);`,
    );
    this.addSql(
      `insert into "event_outbox_relay" ("id", "relayed_seq") select 1, "last_seq" from "event_outbox_head" where "id" = 1;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table "event_outbox_relay";`);
  }
}
