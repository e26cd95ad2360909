import { Migration } from '@mikro-orm/migrations';

export class Migration20261122140836 extends Migration {
  override name = 'Migration20261122140836';

  /** Alerts; one open alert per de-duplication key, enforced by a partial unique index. */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "alert" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "equipment_id" uuid not null, "path" text collate "C" not null, "deduplication_key" varchar(255) not null, "severity" text not null, "title" varchar(255) not null, "description" text null, "state" text not null default 'Active', "raised_by" varchar(255) not null, "raised_at" timestamptz not null, "last_raised_at" timestamptz not null, "occurrences" int not null default 1, "acknowledged_by" varchar(255) null, "acknowledged_at" timestamptz null, "acknowledge_comment" text null, "cleared_by" varchar(255) null, "cleared_at" timestamptz null, "escalation_level" int not null default 0, "escalate_after_seconds" int not null, "next_escalation_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "alert_state_next_escalation_at_index" on "alert" ("state", "next_escalation_at");`);
    this.addSql(`create index "alert_path_index" on "alert" ("path");`);

    this.addSql(`alter table "step_record" alter column "containers" drop default;`);

    this.addSql(
      `alter table "alert" add constraint "alert_equipment_id_foreign" foreign key ("equipment_id") references "equipment" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "alert" add constraint "alert_severity_check" check ("severity" in ('Info', 'Low', 'Medium', 'High', 'Critical'));`,
    );
    this.addSql(
      `alter table "alert" add constraint "alert_state_check" check ("state" in ('Active', 'Acknowledged', 'Cleared'));`,
    );
    this.addSql(
      `create unique index "alert_open_deduplication_key" on "alert" ("deduplication_key") where "state" <> 'Cleared';`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "alert" cascade;`);

    this.addSql(`alter table "step_record" alter column "containers" set default '[]';`);
  }
}
