import { Migration } from '@mikro-orm/migrations';

export class Migration20261203052858 extends Migration {
  override name = 'Migration20261203052858';

  /**
   * The production schedule (issue 20): entries on units (orders and cleanings), the changeover
   * matrix, products' scheduling profiles (family, allergens, set-up, crew) and planned downtime.
   */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "changeover_rule" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(255) not null, "scope" text collate "C" not null, "from_products" varchar(255) not null, "to_products" varchar(255) not null, "minutes" int not null, "required_cleaning" text not null, primary key ("id"));`,
    );
    this.addSql(`alter table "changeover_rule" add constraint "changeover_rule_name_unique" unique ("name");`);
    this.addSql(
      `create table "planned_downtime" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "equipment_id" uuid not null, "start" timestamptz not null, "end" timestamptz not null, "reason" text not null, primary key ("id"));`,
    );
    this.addSql(
      `create index "planned_downtime_equipment_id_start_index" on "planned_downtime" ("equipment_id", "start");`,
    );
    this.addSql(
      `create table "product_scheduling_profile" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "product" varchar(255) not null, "family" varchar(255) null, "allergens" jsonb not null, "setup_minutes" int not null default 0, "crew_size" int not null default 1, primary key ("id"));`,
    );
    this.addSql(
      `alter table "product_scheduling_profile" add constraint "product_scheduling_profile_product_unique" unique ("product");`,
    );
    this.addSql(
      `create table "schedule_entry" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "kind" text not null, "work_order_id" uuid null, "order_number" text null, "product" text null, "unit_id" uuid not null, "start" timestamptz not null, "end" timestamptz not null, "due_at" timestamptz null, "changeover_minutes" int not null default 0, "note" text null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "schedule_entry" add constraint "schedule_entry_work_order_id_unique" unique ("work_order_id");`,
    );
    this.addSql(`create index "schedule_entry_unit_id_start_index" on "schedule_entry" ("unit_id", "start");`);
    this.addSql(
      `alter table "changeover_rule" add constraint "changeover_rule_required_cleaning_check" check ("required_cleaning" in ('None', 'Cleaning', 'Sanitation'));`,
    );
    this.addSql(
      `alter table "planned_downtime" add constraint "planned_downtime_equipment_id_foreign" foreign key ("equipment_id") references "equipment" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "schedule_entry" add constraint "schedule_entry_work_order_id_foreign" foreign key ("work_order_id") references "work_order" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "schedule_entry" add constraint "schedule_entry_unit_id_foreign" foreign key ("unit_id") references "equipment" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "schedule_entry" add constraint "schedule_entry_kind_check" check ("kind" in ('Production', 'Cleaning', 'Sanitation'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "changeover_rule" cascade;`);
    this.addSql(`drop table if exists "planned_downtime" cascade;`);
    this.addSql(`drop table if exists "product_scheduling_profile" cascade;`);
    this.addSql(`drop table if exists "schedule_entry" cascade;`);
  }
}
