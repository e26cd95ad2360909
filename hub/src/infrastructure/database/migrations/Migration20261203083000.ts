import { Migration } from '@mikro-orm/migrations';

export class Migration20261203083000 extends Migration {
  override name = 'Migration20261203083000';

  /**
   * The OPC UA Job Control face's PKI in the database instead of `<data dir>/opcua-pki`: the server's own
   * application certificate and sealed private key (one row per installation, shared by replicas, plain SQL), and
   * its trust list of client application certificates (an entity, changed in audited units of work).
   */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "opcua_server_identity" ("id" int not null, "certificate" text not null, "private_key" text not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create table "opcua_application_certificate" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "thumbprint" char(40) not null, "subject" varchar(255) not null, "application_uri" text not null, "not_after" timestamptz not null, "certificate" text not null, "trusted" boolean not null, "decided_by" varchar(255) not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "opcua_application_certificate" add constraint "opcua_application_certificate_thumbprint_unique" unique ("thumbprint");`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "opcua_application_certificate";`);
    this.addSql(`drop table if exists "opcua_server_identity";`);
  }
}
