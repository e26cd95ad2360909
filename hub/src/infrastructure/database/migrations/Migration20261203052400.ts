import { Migration } from '@mikro-orm/migrations';

export class Migration20261203052400 extends Migration {
  override name = 'Migration20261203052400';

  /**
   * What the quality system (QMS) holds of a deviation, recorded by its connector through
   * `recordDeviationQmsStatus`: the nonconformance record's reference, status and closure; and the
   * record a connector delivery's event is about (ADR 0039-qms-rest-connector).
   */
  override up(): void | Promise<void> {
    this.addSql(
      `alter table "deviation" add column "qms_reference" varchar(255) null, add column "qms_status" varchar(255) null, add column "qms_closed_at" timestamptz null, add column "qms_closure" text null, add column "qms_updated_by" varchar(255) null, add column "qms_updated_at" timestamptz null;`,
    );
    // The record an event is about when its key is another's (the deviation of an order's DeviationOpened).
    this.addSql(`alter table "connector_delivery" add column "event_record" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(
      `alter table "deviation" drop column "qms_reference", drop column "qms_status", drop column "qms_closed_at", drop column "qms_closure", drop column "qms_updated_by", drop column "qms_updated_at";`,
    );
    this.addSql(`alter table "connector_delivery" drop column "event_record";`);
  }
}
