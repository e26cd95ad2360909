import { Migration } from '@mikro-orm/migrations';

export class Migration20261202100000 extends Migration {
  override name = 'Migration20261202100000';

  /** A connector finds its earlier deliveries about one record (the confirmation a rejection cancels). */
  override up(): void | Promise<void> {
    this.addSql(
      `create index "connector_delivery_connector_event_key_index" on "connector_delivery" ("connector", "event_key");`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "connector_delivery_connector_event_key_index";`);
  }
}
