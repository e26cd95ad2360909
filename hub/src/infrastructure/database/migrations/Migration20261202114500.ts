import { Migration } from '@mikro-orm/migrations';

export class Migration20261202114500 extends Migration {
  override name = 'Migration20261202114500';

  /**
   * Separation of duties (ADR 0015): a signature says which act it was given for, and a master-record
   * version keeps who wrote it, so its authors cannot review or approve it.
   */
  override up(): void | Promise<void> {
    this.addSql(
      `alter table "electronic_signature" add "act" text null, add constraint "electronic_signature_act_check" check ("act" in ('StepVerification', 'LineClearance', 'DeviationClosure', 'Correction', 'ReleaseToStock', 'Rejection', 'MasterRecordReview', 'MasterRecordApproval'));`,
    );
    // Versions written before authors were kept have none on record.
    this.addSql(`alter table "product_definition_version" add "authors" jsonb not null default '[]';`);
    this.addSql(`alter table "product_definition_version" alter column "authors" drop default;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "electronic_signature" drop column "act";`);
    this.addSql(`alter table "product_definition_version" drop column "authors";`);
  }
}
