import { Migration } from '@mikro-orm/migrations';

export class Migration20261202113000 extends Migration {
  override name = 'Migration20261202113000';

  /** The development identity provider's signing key (ADR 0015): generated once, kept with the data. */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "dev_identity_provider_key" ("id" int not null primary key check ("id" = 1), "private_jwk" text not null, "created_at" timestamptz not null default now());`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "dev_identity_provider_key";`);
  }
}
