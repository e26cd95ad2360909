import { Migration } from '@mikro-orm/migrations';

export class Migration20261203090000 extends Migration {
  override name = 'Migration20261203090000';

  /**
   * Campaign batches run the order's steps (issue 20): a step record names the batch it was executed
   * for and keeps a split of the batch recorded at it; the cleaning between batches is a signed act.
   */
  override up(): void | Promise<void> {
    this.addSql(`alter table "step_record" add "batch" int null, add "split" jsonb null;`);
    this.addSql(`alter table "electronic_signature" drop constraint "electronic_signature_act_check";`);
    this.addSql(
      `alter table "electronic_signature" add constraint "electronic_signature_act_check" check ("act" in ('StepVerification', 'LineClearance', 'DeviationClosure', 'Correction', 'ReleaseToStock', 'Rejection', 'MasterRecordReview', 'MasterRecordApproval', 'ReleasedProductChange', 'MaintenanceSignOff', 'RedlineApproval', 'CampaignCleaning'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "step_record" drop column "batch", drop column "split";`);
    this.addSql(`alter table "electronic_signature" drop constraint "electronic_signature_act_check";`);
    this.addSql(
      `alter table "electronic_signature" add constraint "electronic_signature_act_check" check ("act" in ('StepVerification', 'LineClearance', 'DeviationClosure', 'Correction', 'ReleaseToStock', 'Rejection', 'MasterRecordReview', 'MasterRecordApproval', 'ReleasedProductChange', 'MaintenanceSignOff', 'RedlineApproval'));`,
    );
  }
}
