import { Migration } from '@mikro-orm/migrations';

export class Migration20261202121623 extends Migration {
  override name = 'Migration20261202121623';

  /**
   * Manual nonconformances and yield brackets (issue 14): a deviation may be on a lot alone (no
   * order), has a severity (existing ones are Major) and a CAPA link with its closure; new kinds
   * for yield and for what people raise. A product definition version may carry a yield bracket.
   * A signature may be for a change of released product.
   */
  override up(): void | Promise<void> {
    this.addSql(`alter table "product_definition_version" add "yield_bracket" jsonb null;`);
    // A change of released product is a signed act of its own (ADR 0017).
    this.addSql(`alter table "electronic_signature" drop constraint "electronic_signature_act_check";`);
    this.addSql(
      `alter table "electronic_signature" add constraint "electronic_signature_act_check" check ("act" in ('StepVerification', 'LineClearance', 'DeviationClosure', 'Correction', 'ReleaseToStock', 'Rejection', 'MasterRecordReview', 'MasterRecordApproval', 'ReleasedProductChange'));`,
    );

    this.addSql(`alter table "deviation" drop constraint "deviation_kind_check";`);
    this.addSql(
      `alter table "deviation" add "lot_id" uuid null, add "severity" text not null default 'Major', add "capa_reference" text null, add "capa_linked_by" varchar(255) null, add "capa_linked_at" timestamptz null, add "capa_closed_by" varchar(255) null, add "capa_closed_at" timestamptz null, add "capa_closure" text null;`,
    );
    this.addSql(
      `alter table "deviation" add constraint "deviation_lot_id_foreign" foreign key ("lot_id") references "material_lot" ("id") on delete restrict;`,
    );
    this.addSql(`alter table "deviation" alter column "work_order_id" drop not null;`);
    this.addSql(`create index "deviation_lot_id_index" on "deviation" ("lot_id");`);
    this.addSql(
      `alter table "deviation" add constraint "deviation_severity_check" check ("severity" in ('Minor', 'Major', 'Critical'));`,
    );
    this.addSql(
      `alter table "deviation" add constraint "deviation_kind_check" check ("kind" in ('OutOfTolerance', 'Correction', 'YieldOutOfBracket', 'Material', 'Equipment', 'Procedure', 'Environment', 'Other'));`,
    );
  }

  /** Deviations on a lot alone, or of the new kinds, must be gone before this runs. */
  override down(): void | Promise<void> {
    this.addSql(`alter table "deviation" drop constraint "deviation_lot_id_foreign";`);
    this.addSql(`drop index "deviation_lot_id_index";`);
    this.addSql(`alter table "deviation" drop constraint "deviation_severity_check";`);
    this.addSql(`alter table "deviation" drop constraint "deviation_kind_check";`);
    this.addSql(
      `alter table "deviation" drop column "lot_id", drop column "severity", drop column "capa_reference", drop column "capa_linked_by", drop column "capa_linked_at", drop column "capa_closed_by", drop column "capa_closed_at", drop column "capa_closure";`,
    );
    this.addSql(`alter table "deviation" alter column "work_order_id" set not null;`);
    this.addSql(
      `alter table "deviation" add constraint "deviation_kind_check" check ("kind" in ('OutOfTolerance', 'Correction'));`,
    );
    this.addSql(`alter table "product_definition_version" drop column "yield_bracket";`);
    this.addSql(`alter table "electronic_signature" drop constraint "electronic_signature_act_check";`);
    this.addSql(
      `alter table "electronic_signature" add constraint "electronic_signature_act_check" check ("act" in ('StepVerification', 'LineClearance', 'DeviationClosure', 'Correction', 'ReleaseToStock', 'Rejection', 'MasterRecordReview', 'MasterRecordApproval'));`,
    );
  }
}
