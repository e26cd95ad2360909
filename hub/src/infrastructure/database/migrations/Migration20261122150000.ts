import { Migration } from '@mikro-orm/migrations';

export class Migration20261122150000 extends Migration {
  override name = 'Migration20261122150000';

  /** Process values and cycle times from equipment; each work order's actual start and end for OEE per order. */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "process_value" ("id" bigserial primary key, "equipment_id" uuid not null, "path" text collate "C" not null, "name" varchar(128) not null, "value" double precision not null, "unit" varchar(32) null, "at" timestamptz not null, "source" varchar(255) not null, "sequence" bigint not null);`,
    );
    this.addSql(
      `create index "process_value_equipment_id_name_at_index" on "process_value" ("equipment_id", "name", "at");`,
    );
    this.addSql(
      `alter table "process_value" add constraint "process_value_source_sequence_unique" unique ("source", "sequence");`,
    );
    this.addSql(
      `alter table "process_value" add constraint "process_value_equipment_id_foreign" foreign key ("equipment_id") references "equipment" ("id") on delete cascade;`,
    );

    this.addSql(`alter table "production_count" add column "cycle_time_ms" double precision null;`);
    this.addSql(
      `alter table "work_order" add column "actual_start" timestamptz null, add column "actual_end" timestamptz null;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "process_value" cascade;`);
    this.addSql(`alter table "production_count" drop column "cycle_time_ms";`);
    this.addSql(`alter table "work_order" drop column "actual_start", drop column "actual_end";`);
  }
}
