import { Migration } from '@mikro-orm/migrations';

export class Migration20261122141708 extends Migration {
  override name = 'Migration20261122141708';

  /** Part counts from equipment, and shift calendars, for OEE. */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "production_count" ("id" bigserial primary key, "equipment_id" uuid not null, "path" text collate "C" not null, "at" timestamptz not null, "good" int not null, "scrap" int not null, "rework" int not null, "source" varchar(255) not null, "sequence" bigint not null);`,
    );
    this.addSql(`create index "production_count_equipment_id_at_index" on "production_count" ("equipment_id", "at");`);
    this.addSql(
      `alter table "production_count" add constraint "production_count_source_sequence_unique" unique ("source", "sequence");`,
    );

    this.addSql(
      `create table "shift_calendar" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "scope" text collate "C" not null, "time_zone" varchar(255) not null, "shifts" jsonb not null, "microstop_threshold_seconds" int not null default 120, primary key ("id"));`,
    );
    this.addSql(`alter table "shift_calendar" add constraint "shift_calendar_scope_unique" unique ("scope");`);

    this.addSql(
      `alter table "production_count" add constraint "production_count_equipment_id_foreign" foreign key ("equipment_id") references "equipment" ("id") on delete cascade;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "production_count" cascade;`);
    this.addSql(`drop table if exists "shift_calendar" cascade;`);
  }
}
