import { Migration } from '@mikro-orm/migrations';

export class Migration20261122131212 extends Migration {
  override name = 'Migration20261122131212';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "audit_record" ("id" bigserial primary key, "at" timestamptz not null, "actor" varchar(255) not null, "action" varchar(255) not null, "entity_type" varchar(255) not null, "entity_id" varchar(255) not null, "before" jsonb null, "after" jsonb null);`,
    );
    this.addSql(
      `create index "audit_record_entity_type_entity_id_index" on "audit_record" ("entity_type", "entity_id");`,
    );

    this.addSql(
      `create table "equipment_class" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "code" varchar(255) not null, "description" text null, "properties" jsonb not null, "ideal_cycle_time_seconds" double precision null, primary key ("id"));`,
    );
    this.addSql(`alter table "equipment_class" add constraint "equipment_class_code_unique" unique ("code");`);

    this.addSql(
      `create table "equipment" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "path" text collate "C" not null, "code" varchar(255) not null, "name" varchar(255) not null, "level" text not null, "parent_id" uuid null, "equipment_class_id" uuid null, "properties" jsonb not null, "state" text not null default 'Offline', "state_reason" text null, "state_since" timestamptz not null, "last_reported_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`alter table "equipment" add constraint "equipment_path_unique" unique ("path");`);
    this.addSql(`create index "equipment_parent_id_index" on "equipment" ("parent_id");`);

    this.addSql(
      `create table "equipment_state_change" ("id" bigserial primary key, "equipment_id" uuid not null, "path" text collate "C" not null, "state" text not null, "previous_state" text null, "reason" text null, "at" timestamptz not null, "source" varchar(255) not null, "sequence" bigint null, "applied" boolean not null default true);`,
    );
    this.addSql(
      `create index "equipment_state_change_equipment_id_at_index" on "equipment_state_change" ("equipment_id", "at");`,
    );
    this.addSql(
      `alter table "equipment_state_change" add constraint "equipment_state_change_source_sequence_unique" unique ("source", "sequence");`,
    );

    this.addSql(
      `create table "material_class" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "code" varchar(255) not null, "description" text null, "properties" jsonb not null, primary key ("id"));`,
    );
    this.addSql(`alter table "material_class" add constraint "material_class_code_unique" unique ("code");`);

    this.addSql(
      `create table "material_definition" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "code" varchar(255) not null, "name" varchar(255) not null, "material_class_id" uuid null, "unit_of_measure" varchar(255) not null, "properties" jsonb not null, primary key ("id"));`,
    );
    this.addSql(`alter table "material_definition" add constraint "material_definition_code_unique" unique ("code");`);

    this.addSql(
      `create table "material_lot" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "lot_number" varchar(255) not null, "material_definition_id" uuid not null, "quantity" numeric(18,6) not null, "unit_of_measure" varchar(255) not null, "status" text not null default 'Quarantine', "expires_at" timestamptz null, "location_id" uuid null, "properties" jsonb not null, primary key ("id"));`,
    );
    this.addSql(`alter table "material_lot" add constraint "material_lot_lot_number_unique" unique ("lot_number");`);
    this.addSql(
      `create index "material_lot_material_definition_id_index" on "material_lot" ("material_definition_id");`,
    );

    this.addSql(
      `create table "material_sublot" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "sublot_number" varchar(255) not null, "lot_id" uuid not null, "quantity" numeric(18,6) not null, "status" text not null default 'Quarantine', "location_id" uuid null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "material_sublot" add constraint "material_sublot_sublot_number_unique" unique ("sublot_number");`,
    );
    this.addSql(`create index "material_sublot_lot_id_index" on "material_sublot" ("lot_id");`);

    this.addSql(
      `create table "person" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "employee_id" varchar(255) not null, "name" varchar(255) not null, "home_equipment_id" uuid null, "active" boolean not null default true, primary key ("id"));`,
    );
    this.addSql(`alter table "person" add constraint "person_employee_id_unique" unique ("employee_id");`);

    this.addSql(
      `create table "personnel_class" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "code" varchar(255) not null, "description" text null, "properties" jsonb not null, primary key ("id"));`,
    );
    this.addSql(`alter table "personnel_class" add constraint "personnel_class_code_unique" unique ("code");`);

    this.addSql(
      `create table "person_personnel_classes" ("person_id" uuid not null, "personnel_class_id" uuid not null, primary key ("person_id", "personnel_class_id"));`,
    );

    this.addSql(
      `create table "product_definition" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "code" varchar(255) not null, "name" varchar(255) not null, "produced_material_id" uuid not null, primary key ("id"));`,
    );
    this.addSql(`alter table "product_definition" add constraint "product_definition_code_unique" unique ("code");`);

    this.addSql(
      `create table "product_definition_version" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "product_definition_id" uuid not null, "version" int not null, "state" text not null default 'Draft', "change_note" text null, "segments" jsonb not null, "state_changed_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "product_definition_version_state_index" on "product_definition_version" ("state");`);
    this.addSql(
      `alter table "product_definition_version" add constraint "product_definition_version_product_definition_id_version_unique" unique ("product_definition_id", "version");`,
    );

    this.addSql(
      `create table "qualification" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "person_id" uuid not null, "code" varchar(255) not null, "description" text null, "trained_at" timestamptz not null, "expires_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "qualification_person_id_index" on "qualification" ("person_id");`);
    this.addSql(
      `alter table "qualification" add constraint "qualification_person_id_code_unique" unique ("person_id", "code");`,
    );

    this.addSql(
      `create table "work_order" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "number" varchar(255) not null, "product_definition_version_id" uuid not null, "quantity" numeric(18,6) not null, "unit_of_measure" varchar(255) not null, "equipment_id" uuid not null, "state" text not null default 'Draft', "state_changed_at" timestamptz not null, "planned_start" timestamptz null, "planned_end" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`alter table "work_order" add constraint "work_order_number_unique" unique ("number");`);
    this.addSql(`create index "work_order_equipment_id_index" on "work_order" ("equipment_id");`);
    this.addSql(`create index "work_order_state_index" on "work_order" ("state");`);

    this.addSql(
      `alter table "equipment" add constraint "equipment_parent_id_foreign" foreign key ("parent_id") references "equipment" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "equipment" add constraint "equipment_equipment_class_id_foreign" foreign key ("equipment_class_id") references "equipment_class" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "equipment" add constraint "equipment_level_check" check ("level" in ('Enterprise', 'Site', 'Area', 'WorkCenter', 'ProcessCell', 'ProductionLine', 'ProductionUnit', 'StorageZone', 'Unit', 'WorkCell', 'StorageUnit', 'WorkUnit', 'EquipmentModule', 'ControlModule'));`,
    );
    this.addSql(
      `alter table "equipment" add constraint "equipment_state_check" check ("state" in ('Running', 'Idle', 'Down', 'Maintenance', 'CalibrationDue', 'Offline'));`,
    );

    this.addSql(
      `alter table "equipment_state_change" add constraint "equipment_state_change_equipment_id_foreign" foreign key ("equipment_id") references "equipment" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "equipment_state_change" add constraint "equipment_state_change_state_check" check ("state" in ('Running', 'Idle', 'Down', 'Maintenance', 'CalibrationDue', 'Offline'));`,
    );
    this.addSql(
      `alter table "equipment_state_change" add constraint "equipment_state_change_previous_state_check" check ("previous_state" in ('Running', 'Idle', 'Down', 'Maintenance', 'CalibrationDue', 'Offline'));`,
    );

    this.addSql(
      `alter table "material_definition" add constraint "material_definition_material_class_id_foreign" foreign key ("material_class_id") references "material_class" ("id") on delete restrict;`,
    );

    this.addSql(
      `alter table "material_lot" add constraint "material_lot_material_definition_id_foreign" foreign key ("material_definition_id") references "material_definition" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "material_lot" add constraint "material_lot_location_id_foreign" foreign key ("location_id") references "equipment" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "material_lot" add constraint "material_lot_status_check" check ("status" in ('Quarantine', 'Released', 'OnHold', 'Rejected', 'Consumed'));`,
    );

    this.addSql(
      `alter table "material_sublot" add constraint "material_sublot_lot_id_foreign" foreign key ("lot_id") references "material_lot" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "material_sublot" add constraint "material_sublot_location_id_foreign" foreign key ("location_id") references "equipment" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "material_sublot" add constraint "material_sublot_status_check" check ("status" in ('Quarantine', 'Released', 'OnHold', 'Rejected', 'Consumed'));`,
    );

    this.addSql(
      `alter table "person" add constraint "person_home_equipment_id_foreign" foreign key ("home_equipment_id") references "equipment" ("id") on delete restrict;`,
    );

    this.addSql(
      `alter table "person_personnel_classes" add constraint "person_personnel_classes_person_id_foreign" foreign key ("person_id") references "person" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "person_personnel_classes" add constraint "person_personnel_classes_personnel_class_id_foreign" foreign key ("personnel_class_id") references "personnel_class" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "product_definition" add constraint "product_definition_produced_material_id_foreign" foreign key ("produced_material_id") references "material_definition" ("id") on delete restrict;`,
    );

    this.addSql(
      `alter table "product_definition_version" add constraint "product_definition_version_product_definition_id_foreign" foreign key ("product_definition_id") references "product_definition" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "product_definition_version" add constraint "product_definition_version_state_check" check ("state" in ('Draft', 'ForReview', 'Approved', 'Active', 'Deprecated'));`,
    );

    this.addSql(
      `alter table "qualification" add constraint "qualification_person_id_foreign" foreign key ("person_id") references "person" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "work_order" add constraint "work_order_product_definition_version_id_foreign" foreign key ("product_definition_version_id") references "product_definition_version" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "work_order" add constraint "work_order_equipment_id_foreign" foreign key ("equipment_id") references "equipment" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "work_order" add constraint "work_order_state_check" check ("state" in ('Draft', 'Released', 'InProgress', 'Paused', 'Completed', 'UnderReview', 'ReleasedToStock', 'Rejected', 'Cancelled'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "equipment" drop constraint "equipment_equipment_class_id_foreign";`);
    this.addSql(`alter table "equipment" drop constraint "equipment_parent_id_foreign";`);
    this.addSql(`alter table "equipment_state_change" drop constraint "equipment_state_change_equipment_id_foreign";`);
    this.addSql(`alter table "material_lot" drop constraint "material_lot_location_id_foreign";`);
    this.addSql(`alter table "material_sublot" drop constraint "material_sublot_location_id_foreign";`);
    this.addSql(`alter table "person" drop constraint "person_home_equipment_id_foreign";`);
    this.addSql(`alter table "work_order" drop constraint "work_order_equipment_id_foreign";`);
    this.addSql(`alter table "material_definition" drop constraint "material_definition_material_class_id_foreign";`);
    this.addSql(`alter table "material_lot" drop constraint "material_lot_material_definition_id_foreign";`);
    this.addSql(`alter table "product_definition" drop constraint "product_definition_produced_material_id_foreign";`);
    this.addSql(`alter table "material_sublot" drop constraint "material_sublot_lot_id_foreign";`);
    this.addSql(`alter table "person_personnel_classes" drop constraint "person_personnel_classes_person_id_foreign";`);
    this.addSql(`alter table "qualification" drop constraint "qualification_person_id_foreign";`);
    this.addSql(
      `alter table "person_personnel_classes" drop constraint "person_personnel_classes_personnel_class_id_foreign";`,
    );
    this.addSql(
      `alter table "product_definition_version" drop constraint "product_definition_version_product_definition_id_foreign";`,
    );
    this.addSql(`alter table "work_order" drop constraint "work_order_product_definition_version_id_foreign";`);

    this.addSql(`drop table if exists "audit_record" cascade;`);
    this.addSql(`drop table if exists "equipment_class" cascade;`);
    this.addSql(`drop table if exists "equipment" cascade;`);
    this.addSql(`drop table if exists "equipment_state_change" cascade;`);
    this.addSql(`drop table if exists "material_class" cascade;`);
    this.addSql(`drop table if exists "material_definition" cascade;`);
    this.addSql(`drop table if exists "material_lot" cascade;`);
    this.addSql(`drop table if exists "material_sublot" cascade;`);
    this.addSql(`drop table if exists "person" cascade;`);
    this.addSql(`drop table if exists "personnel_class" cascade;`);
    this.addSql(`drop table if exists "person_personnel_classes" cascade;`);
    this.addSql(`drop table if exists "product_definition" cascade;`);
    this.addSql(`drop table if exists "product_definition_version" cascade;`);
    this.addSql(`drop table if exists "qualification" cascade;`);
    this.addSql(`drop table if exists "work_order" cascade;`);
  }
}
