import { Migration } from '@mikro-orm/migrations';

export class Migration20261122160000 extends Migration {
  override name = 'Migration20261122160000';

  /**
   * The embedded Node-RED's storage, per plant: one row per deploy (the exact flows text, who,
   * when), the node credentials (encrypted by Node-RED), its settings and sessions, the library.
   */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "flow_plant" ("plant" varchar(64) not null, "created_at" timestamptz not null default now(), "credential_secret" text null, "credentials" text null, "settings" jsonb null, "sessions" jsonb null, primary key ("plant"));`,
    );
    this.addSql(
      `create table "flow_revision" ("id" bigserial primary key, "plant" varchar(64) not null, "flows" text not null, "node_count" int not null, "sha256" char(64) not null, "deployed_by" varchar(255) not null, "deployed_at" timestamptz not null default now(), "origin" varchar(16) not null);`,
    );
    this.addSql(`create index "flow_revision_plant_id_index" on "flow_revision" ("plant", "id");`);
    this.addSql(
      `alter table "flow_revision" add constraint "flow_revision_origin_check" check ("origin" in ('editor', 'cli'));`,
    );
    this.addSql(
      `create table "flow_library_entry" ("plant" varchar(64) not null, "type" varchar(64) not null, "path" text collate "C" not null, "meta" jsonb not null, "body" text not null, "updated_at" timestamptz not null default now(), primary key ("plant", "type", "path"));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "flow_library_entry" cascade;`);
    this.addSql(`drop table if exists "flow_revision" cascade;`);
    this.addSql(`drop table if exists "flow_plant" cascade;`);
  }
}
