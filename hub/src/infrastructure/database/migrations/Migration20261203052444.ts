import { Migration } from '@mikro-orm/migrations';

export class Migration20261203052444 extends Migration {
  override name = 'Migration20261203052444';

  /**
   * Order kinds and engineering changes (issue 20): maintenance orders against equipment, redlines
   * of master-record versions and the orders in flight they affect, campaign batches, the step a
   * split happened at in the genealogy, and a site's industry profile. New signed acts and the
   * EngineeringChange deviation kind widen their checks. Hand-written triggers are kept.
   */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "maintenance_order" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "number" varchar(255) not null, "kind" text not null, "equipment_id" uuid not null, "description" text not null, "state" text not null default 'Open', "state_changed_at" timestamptz not null, "due_at" timestamptz null, "planned_start" timestamptz null, "planned_end" timestamptz null, "opened_by" varchar(255) not null, "started_by" varchar(255) null, "started_at" timestamptz null, "completed_by" varchar(255) null, "completed_at" timestamptz null, "work_done" text null, "signed_off_by" varchar(255) null, "signed_off_at" timestamptz null, "next_calibration_due_at" timestamptz null, "state_reason" text null, primary key ("id"));`,
    );
    this.addSql(`alter table "maintenance_order" add constraint "maintenance_order_number_unique" unique ("number");`);
    this.addSql(
      `create index "maintenance_order_equipment_id_state_index" on "maintenance_order" ("equipment_id", "state");`,
    );
    this.addSql(
      `create table "redline" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "product_definition_version_id" uuid not null, "change" text not null, "reason" text not null, "segments" jsonb not null, "state" text not null default 'Proposed', "proposed_by" varchar(255) not null, "approved_by" jsonb null, "approved_at" timestamptz null, "resulting_version_id" uuid null, primary key ("id"));`,
    );
    this.addSql(
      `create index "redline_product_definition_version_id_index" on "redline" ("product_definition_version_id");`,
    );
    this.addSql(
      `create table "campaign_batch" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "work_order_id" uuid not null, "sequence" int not null, "lot_number" varchar(255) not null, "quantity" numeric(18,6) not null, "completed_by" varchar(255) not null, "completed_at" timestamptz not null, "cleaning" text null, "cleaned_by" varchar(255) null, "cleaned_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "campaign_batch" add constraint "campaign_batch_work_order_id_sequence_unique" unique ("work_order_id", "sequence");`,
    );
    this.addSql(
      `create table "affected_order" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "redline_id" uuid not null, "work_order_id" uuid not null, "step" varchar(255) null, "operators" jsonb not null, "decision" text not null default 'Pending', "decided_by" varchar(255) null, "decided_at" timestamptz null, "decision_reason" text null, "deviation_id" uuid null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "affected_order" add constraint "affected_order_redline_id_work_order_id_unique" unique ("redline_id", "work_order_id");`,
    );
    this.addSql(`alter table "electronic_signature" drop constraint "electronic_signature_act_check";`);
    this.addSql(
      `alter table "electronic_signature" add constraint "electronic_signature_act_check" check ("act" in ('StepVerification', 'LineClearance', 'DeviationClosure', 'Correction', 'ReleaseToStock', 'Rejection', 'MasterRecordReview', 'MasterRecordApproval', 'ReleasedProductChange', 'MaintenanceSignOff', 'RedlineApproval'));`,
    );
    this.addSql(`alter table "equipment" add "industry_profile" text null;`);
    this.addSql(
      `alter table "equipment" add constraint "equipment_industry_profile_check" check ("industry_profile" in ('Discrete', 'Process', 'Pharma', 'Device'));`,
    );
    this.addSql(`alter table "work_order" add "campaign_batches" int null;`);
    this.addSql(`alter table "lot_genealogy" add "segment" varchar(255) null;`);
    this.addSql(`alter table "deviation" drop constraint "deviation_kind_check";`);
    this.addSql(
      `alter table "deviation" add constraint "deviation_kind_check" check ("kind" in ('OutOfTolerance', 'Correction', 'YieldOutOfBracket', 'Material', 'Equipment', 'Procedure', 'EngineeringChange', 'Environment', 'Other'));`,
    );
    this.addSql(
      `alter table "maintenance_order" add constraint "maintenance_order_equipment_id_foreign" foreign key ("equipment_id") references "equipment" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "maintenance_order" add constraint "maintenance_order_kind_check" check ("kind" in ('Preventive', 'Corrective', 'Calibration'));`,
    );
    this.addSql(
      `alter table "maintenance_order" add constraint "maintenance_order_state_check" check ("state" in ('Open', 'InProgress', 'Completed', 'SignedOff', 'Cancelled'));`,
    );
    this.addSql(
      `alter table "redline" add constraint "redline_product_definition_version_id_foreign" foreign key ("product_definition_version_id") references "product_definition_version" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "redline" add constraint "redline_resulting_version_id_foreign" foreign key ("resulting_version_id") references "product_definition_version" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "redline" add constraint "redline_state_check" check ("state" in ('Proposed', 'Approved', 'Withdrawn'));`,
    );
    this.addSql(
      `alter table "campaign_batch" add constraint "campaign_batch_work_order_id_foreign" foreign key ("work_order_id") references "work_order" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "affected_order" add constraint "affected_order_redline_id_foreign" foreign key ("redline_id") references "redline" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "affected_order" add constraint "affected_order_work_order_id_foreign" foreign key ("work_order_id") references "work_order" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "affected_order" add constraint "affected_order_deviation_id_foreign" foreign key ("deviation_id") references "deviation" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "affected_order" add constraint "affected_order_decision_check" check ("decision" in ('Pending', 'ContinueOnSnapshot', 'PauseWithDeviation'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "affected_order" cascade;`);
    this.addSql(`drop table if exists "redline" cascade;`);
    this.addSql(`drop table if exists "campaign_batch" cascade;`);
    this.addSql(`drop table if exists "maintenance_order" cascade;`);
    this.addSql(`alter table "work_order" drop column "campaign_batches";`);
    this.addSql(`alter table "lot_genealogy" drop column "segment";`);
    this.addSql(`alter table "equipment" drop constraint "equipment_industry_profile_check";`);
    this.addSql(`alter table "equipment" drop column "industry_profile";`);
    this.addSql(`alter table "deviation" drop constraint "deviation_kind_check";`);
    this.addSql(
      `alter table "deviation" add constraint "deviation_kind_check" check ("kind" in ('OutOfTolerance', 'Correction', 'YieldOutOfBracket', 'Material', 'Equipment', 'Procedure', 'Environment', 'Other'));`,
    );
    this.addSql(`alter table "electronic_signature" drop constraint "electronic_signature_act_check";`);
    this.addSql(
      `alter table "electronic_signature" add constraint "electronic_signature_act_check" check ("act" in ('StepVerification', 'LineClearance', 'DeviationClosure', 'Correction', 'ReleaseToStock', 'Rejection', 'MasterRecordReview', 'MasterRecordApproval', 'ReleasedProductChange'));`,
    );
  }
}
