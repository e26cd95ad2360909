import { Migration } from '@mikro-orm/migrations';

export class Migration20261202223000 extends Migration {
  override name = 'Migration20261202223000';

  /**
   * A small key/value store per connector instance (`ConnectorContext.store`): values sealed like the
   * instance's secrets, e.g. an OPC UA client's own certificate and private key (ADR 0033-opcua-connector).
   */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "connector_store" ("connector" varchar(255) not null, "key" varchar(128) not null, "value" text not null, "updated_at" timestamptz not null, primary key ("connector", "key"));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "connector_store";`);
  }
}
