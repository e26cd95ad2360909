import { Migration } from '@mikro-orm/migrations';

export class Migration20261202061435 extends Migration {
  override name = 'Migration20261202061435';

  /**
   * Scope at the edges. Each audit record gets the scope of what it audits, which decides who may
   * read it; records written before have none to go by and become the installation's (`*`). An
   * alert's de-duplication key lives within its equipment path: one open alert per (path, key).
   */
  override up(): void | Promise<void> {
    this.addSql(`alter table "audit_record" add "scope" text collate "C" null default '*';`);
    this.addSql(`alter table "audit_record" alter column "scope" drop default;`);

    this.addSql(`drop index "alert_open_deduplication_key";`);
    this.addSql(
      `create unique index "alert_open_deduplication_key" on "alert" ("path", "deduplication_key") where "state" <> 'Cleared';`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "alert_open_deduplication_key";`);
    this.addSql(
      `create unique index "alert_open_deduplication_key" on "alert" ("deduplication_key") where "state" <> 'Cleared';`,
    );

    this.addSql(`alter table "audit_record" drop column "scope";`);
  }
}
