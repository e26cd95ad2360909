import { Migration } from '@mikro-orm/migrations';

export class Migration20261202113405 extends Migration {
  override name = 'Migration20261202113405';

  /**
   * The equipment condition apart from the run state (ADR 0016): maintenance and calibration records,
   * and their summary on the equipment row. CalibrationDue stops being a run state: equipment in it
   * gets a calibration record due since it entered that state (so it holds CalibrationOverdue, as
   * blocking as before) and the run state Down, as do its history rows; OEE counted both as
   * unplanned stops, so its figures do not change.
   */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "equipment_condition_record" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "equipment_id" uuid not null, "kind" text not null, "recorded_condition" text not null, "reason" text not null, "due_at" timestamptz null, "external_reference" text null, "recorded_by" varchar(255) not null, "recorded_at" timestamptz not null, "cleared_by" varchar(255) null, "cleared_at" timestamptz null, "clearance" text null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "equipment_condition_record" add constraint "equipment_condition_record_external_reference_unique" unique ("external_reference");`,
    );
    this.addSql(
      `create index "equipment_condition_record_equipment_id_cleared_at_index" on "equipment_condition_record" ("equipment_id", "cleared_at");`,
    );
    this.addSql(
      `alter table "equipment_condition_record" add constraint "equipment_condition_record_equipment_id_foreign" foreign key ("equipment_id") references "equipment" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "equipment_condition_record" add constraint "equipment_condition_record_kind_check" check ("kind" in ('Maintenance', 'Calibration'));`,
    );
    this.addSql(
      `alter table "equipment_condition_record" add constraint "equipment_condition_record_recorded_condition_check" check ("recorded_condition" in ('Available', 'MaintenanceDue', 'UnderMaintenance', 'CalibrationDue', 'CalibrationOverdue'));`,
    );

    this.addSql(
      `alter table "equipment" add "condition" text not null default 'Available', add "condition_reason" text null, add "condition_set_by" varchar(255) null, add "condition_since" timestamptz null, add "condition_due_at" timestamptz null;`,
    );
    this.addSql(
      `alter table "equipment" add constraint "equipment_condition_check" check ("condition" in ('Available', 'MaintenanceDue', 'UnderMaintenance', 'CalibrationDue', 'CalibrationOverdue'));`,
    );

    // CalibrationDue as a run state becomes a calibration record, due since the state was entered.
    this.addSql(
      `insert into "equipment_condition_record" ("id", "created_at", "updated_at", "equipment_id", "kind", "recorded_condition", "reason", "due_at", "recorded_by", "recorded_at")
       select gen_random_uuid(), now(), now(), "id", 'Calibration', 'CalibrationDue',
              coalesce("state_reason", 'calibration due (the former run state CalibrationDue)'), "state_since", 'migration', "state_since"
         from "equipment" where "state" = 'CalibrationDue';`,
    );
    this.addSql(
      `update "equipment" set "condition" = 'CalibrationOverdue', "condition_reason" = coalesce("state_reason", 'calibration due (the former run state CalibrationDue)'),
              "condition_set_by" = 'migration', "condition_since" = "state_since", "condition_due_at" = "state_since",
              "state" = 'Down', "state_reason" = coalesce("state_reason", 'CALIBRATION_DUE')
        where "state" = 'CalibrationDue';`,
    );
    this.addSql(
      `update "equipment_state_change" set "state" = 'Down', "reason" = coalesce("reason", 'CALIBRATION_DUE') where "state" = 'CalibrationDue';`,
    );
    this.addSql(
      `update "equipment_state_change" set "previous_state" = 'Down' where "previous_state" = 'CalibrationDue';`,
    );

    this.addSql(`alter table "equipment" drop constraint "equipment_state_check";`);
    this.addSql(
      `alter table "equipment" add constraint "equipment_state_check" check ("state" in ('Running', 'Idle', 'Down', 'Maintenance', 'Offline'));`,
    );
    this.addSql(`alter table "equipment_state_change" drop constraint "equipment_state_change_previous_state_check";`);
    this.addSql(`alter table "equipment_state_change" drop constraint "equipment_state_change_state_check";`);
    this.addSql(
      `alter table "equipment_state_change" add constraint "equipment_state_change_previous_state_check" check ("previous_state" in ('Running', 'Idle', 'Down', 'Maintenance', 'Offline'));`,
    );
    this.addSql(
      `alter table "equipment_state_change" add constraint "equipment_state_change_state_check" check ("state" in ('Running', 'Idle', 'Down', 'Maintenance', 'Offline'));`,
    );
  }

  /** Back to run states only: open calibration records are lost (their equipment stays Down). */
  override down(): void | Promise<void> {
    this.addSql(`alter table "equipment" drop constraint "equipment_state_check";`);
    this.addSql(
      `alter table "equipment" add constraint "equipment_state_check" check ("state" in ('Running', 'Idle', 'Down', 'Maintenance', 'CalibrationDue', 'Offline'));`,
    );
    this.addSql(`alter table "equipment_state_change" drop constraint "equipment_state_change_state_check";`);
    this.addSql(`alter table "equipment_state_change" drop constraint "equipment_state_change_previous_state_check";`);
    this.addSql(
      `alter table "equipment_state_change" add constraint "equipment_state_change_state_check" check ("state" in ('Running', 'Idle', 'Down', 'Maintenance', 'CalibrationDue', 'Offline'));`,
    );
    this.addSql(
      `alter table "equipment_state_change" add constraint "equipment_state_change_previous_state_check" check ("previous_state" in ('Running', 'Idle', 'Down', 'Maintenance', 'CalibrationDue', 'Offline'));`,
    );
    this.addSql(`alter table "equipment" drop constraint "equipment_condition_check";`);
    this.addSql(
      `alter table "equipment" drop column "condition", drop column "condition_reason", drop column "condition_set_by", drop column "condition_since", drop column "condition_due_at";`,
    );
    this.addSql(`drop table if exists "equipment_condition_record" cascade;`);
  }
}
