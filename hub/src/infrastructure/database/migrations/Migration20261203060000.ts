import { Migration } from '@mikro-orm/migrations';

export class Migration20261203060000 extends Migration {
  override name = 'Migration20261203060000';

  /**
   * The OPC UA Job Control face's state, shared by every replica and kept across restarts (ADR 0038):
   * the trusted X.509 user certificates, each mapped to an API key (an entity, changed in audited units of
   * work), and the job orders received (plain SQL like `connector_store`): the release assignments a Store
   * brought until Start, and when an order was cleared off its receiver's list.
   */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "opcua_user_certificate" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "thumbprint" char(40) not null, "subject" varchar(255) not null, "not_after" timestamptz not null, "certificate" text not null, "api_key_id" uuid not null, "created_by" varchar(255) not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "opcua_user_certificate" add constraint "opcua_user_certificate_thumbprint_unique" unique ("thumbprint");`,
    );
    this.addSql(`create index "opcua_user_certificate_api_key_id_index" on "opcua_user_certificate" ("api_key_id");`);
    this.addSql(
      `create table "opcua_job_order" ("number" varchar(255) not null, "work_center" text not null, "assignments" jsonb null, "stored_at" timestamptz not null, "cleared_at" timestamptz null, primary key ("number"));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "opcua_job_order";`);
    this.addSql(`drop table if exists "opcua_user_certificate";`);
  }
}
