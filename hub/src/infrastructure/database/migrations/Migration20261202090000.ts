import { Migration } from '@mikro-orm/migrations';

export class Migration20261202090000 extends Migration {
  override name = 'Migration20261202090000';

  /**
   * The connector runtime (ADR 0013): connector instances with encrypted secrets and their cursors,
   * the delivery ledger (one row per event and connector, unique by idempotency key, dead letters
   * included), the latest import outcome per external record, the key that encrypts connector secrets
   * when none is configured, and the external reference of imported work orders.
   */
  override up(): void | Promise<void> {
    this.addSql(`alter table "work_order" add "external_reference" text null;`);
    this.addSql(
      `alter table "work_order" add constraint "work_order_external_reference_unique" unique ("external_reference");`,
    );

    this.addSql(
      `create table "connector_instance" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(255) not null, "type" varchar(255) not null, "scope" text collate "C" not null, "enabled" boolean not null default false, "settings" jsonb not null, "secrets" text null, "secret_names" jsonb not null, "grants" jsonb not null, "settings_version" int not null default 1, "inbound_cursor" text null, "event_cursor" bigint not null default 0, "health" text not null default 'Unknown', "health_checked_at" timestamptz null, "health_message" text null, "round_trip_ms" int null, "last_success_at" timestamptz null, "last_error_at" timestamptz null, "last_error" text null, primary key ("id"));`,
    );
    this.addSql(`alter table "connector_instance" add constraint "connector_instance_name_unique" unique ("name");`);
    this.addSql(
      `alter table "connector_instance" add constraint "connector_instance_health_check" check ("health" in ('Unknown', 'Healthy', 'Unhealthy'));`,
    );

    this.addSql(
      `create table "connector_delivery" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "instance_id" uuid not null, "connector" varchar(255) not null, "scope" text collate "C" not null, "idempotency_key" varchar(255) not null, "event_id" varchar(255) not null, "event_seq" bigint not null, "event_type" varchar(255) not null, "event_key" varchar(255) not null, "event_path" text null, "event_at" timestamptz not null, "state" text not null default 'Pending', "attempts" int not null default 0, "replays" int not null default 0, "external_reference" text null, "reconciled" boolean not null default false, "last_failure_kind" text null, "last_error" text null, "delivered_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "connector_delivery" add constraint "connector_delivery_idempotency_key_unique" unique ("idempotency_key");`,
    );
    this.addSql(
      `create index "connector_delivery_instance_id_state_index" on "connector_delivery" ("instance_id", "state");`,
    );
    this.addSql(
      `alter table "connector_delivery" add constraint "connector_delivery_instance_id_foreign" foreign key ("instance_id") references "connector_instance" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "connector_delivery" add constraint "connector_delivery_state_check" check ("state" in ('Pending', 'Delivering', 'Delivered', 'Skipped', 'DeadLetter'));`,
    );

    this.addSql(
      `create table "connector_import" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "instance_id" uuid not null, "connector" varchar(255) not null, "scope" text collate "C" not null, "reference" varchar(255) not null, "outcome" text not null, "hub_reference" text null, "reasons" jsonb not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "connector_import" add constraint "connector_import_instance_id_reference_unique" unique ("instance_id", "reference");`,
    );
    this.addSql(
      `alter table "connector_import" add constraint "connector_import_instance_id_foreign" foreign key ("instance_id") references "connector_instance" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "connector_import" add constraint "connector_import_outcome_check" check ("outcome" in ('Created', 'Updated', 'Unchanged', 'Rejected', 'Conflict'));`,
    );

    // Plain SQL (connector/secrets.ts), like flow_plant: one generated key, agreed by concurrent replicas.
    this.addSql(
      `create table "connector_secret_key" ("id" int not null primary key check ("id" = 1), "key" text not null);`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "connector_secret_key";`);
    this.addSql(`drop table if exists "connector_import";`);
    this.addSql(`drop table if exists "connector_delivery";`);
    this.addSql(`drop table if exists "connector_instance";`);
    this.addSql(`alter table "work_order" drop constraint "work_order_external_reference_unique";`);
    this.addSql(`alter table "work_order" drop column "external_reference";`);
  }
}
