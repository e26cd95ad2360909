import { Migration } from '@mikro-orm/migrations';

export class Migration20261203091000 extends Migration {
  override name = 'Migration20261203091000';

  /**
   * What scheduling counts beyond lots and qualifications (ADR 0048): the shift roster (a person on a
   * shift of a calendar, on dates or by a repeating crew pattern) and planned receipts of material.
   */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "shift_assignment" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "scope" text collate "C" not null, "shift" varchar(255) not null, "employee_id" varchar(255) not null, "valid_from" varchar(255) not null, "valid_until" varchar(255) null, "pattern" varchar(255) null, primary key ("id"));`,
    );
    this.addSql(`create index "shift_assignment_scope_shift_index" on "shift_assignment" ("scope", "shift");`);
    this.addSql(
      `create table "planned_receipt" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "reference" varchar(255) not null, "material" varchar(255) not null, "quantity" numeric(18,6) not null, "unit_of_measure" varchar(255) not null, "expected_at" timestamptz not null, "location" text collate "C" not null, "closed_at" timestamptz null, "close_reason" text null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "planned_receipt" add constraint "planned_receipt_reference_unique" unique ("reference");`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "planned_receipt" cascade;`);
    this.addSql(`drop table if exists "shift_assignment" cascade;`);
  }
}
