import { Migration } from '@mikro-orm/migrations';

export class Migration20261122132152 extends Migration {
  override name = 'Migration20261122132152';

  /** API keys for machines and connectors (stored as hashes). */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "api_key" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(255) not null, "prefix" varchar(255) not null, "secret_hash" char(64) not null, "grants" jsonb not null, "created_by" varchar(255) not null, "expires_at" timestamptz null, "revoked_at" timestamptz null, "last_used_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`alter table "api_key" add constraint "api_key_prefix_unique" unique ("prefix");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "api_key" cascade;`);
  }
}
