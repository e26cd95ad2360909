import { Migration } from '@mikro-orm/migrations';

export class Migration20261122135627 extends Migration {
  override name = 'Migration20261122135627';

  /**
   * Execution and review: step records, deviations, electronic signatures, lot genealogy (which
   * the database refuses to change once the produced lot's genealogy is locked at release).
   */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "electronic_signature" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "signer" varchar(255) not null, "printed_name" varchar(255) not null, "signed_at" timestamptz not null, "meaning" text not null, "record_type" varchar(255) not null, "record_id" varchar(255) not null, "record_hash" char(64) not null, primary key ("id"));`,
    );
    this.addSql(
      `create index "electronic_signature_record_type_record_id_index" on "electronic_signature" ("record_type", "record_id");`,
    );

    this.addSql(
      `create table "step_record" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "work_order_id" uuid not null, "segment" varchar(255) not null, "sequence" int not null, "operator" varchar(255) not null, "equipment" varchar(255) not null, "started_at" timestamptz not null, "completed_at" timestamptz null, "measurements" jsonb not null, "verified_by" varchar(255) null, primary key ("id"));`,
    );
    this.addSql(`create index "step_record_work_order_id_index" on "step_record" ("work_order_id");`);

    this.addSql(
      `create table "lot_genealogy" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "output_id" uuid not null, "input_id" uuid not null, "quantity" numeric(18,6) not null, "work_order_id" uuid not null, primary key ("id"));`,
    );
    this.addSql(`create index "lot_genealogy_input_id_index" on "lot_genealogy" ("input_id");`);
    this.addSql(`create index "lot_genealogy_output_id_index" on "lot_genealogy" ("output_id");`);

    this.addSql(
      `create table "deviation" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "work_order_id" uuid not null, "kind" text not null, "state" text not null default 'Open', "segment" varchar(255) null, "description" text not null, "opened_by" varchar(255) not null, "resolution" text null, "closed_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "deviation_work_order_id_state_index" on "deviation" ("work_order_id", "state");`);

    this.addSql(`alter table "material_lot" add "genealogy_locked_at" timestamptz null;`);

    this.addSql(
      `alter table "work_order" add "line_cleared_at" timestamptz null, add "produced_lot" varchar(255) null;`,
    );
    this.addSql(`alter table "work_order" alter column "assignments" drop default;`);

    this.addSql(
      `alter table "electronic_signature" add constraint "electronic_signature_meaning_check" check ("meaning" in ('Review', 'Approval', 'Responsibility', 'Verification'));`,
    );

    this.addSql(
      `alter table "step_record" add constraint "step_record_work_order_id_foreign" foreign key ("work_order_id") references "work_order" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "lot_genealogy" add constraint "lot_genealogy_output_id_foreign" foreign key ("output_id") references "material_lot" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "lot_genealogy" add constraint "lot_genealogy_input_id_foreign" foreign key ("input_id") references "material_lot" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "lot_genealogy" add constraint "lot_genealogy_work_order_id_foreign" foreign key ("work_order_id") references "work_order" ("id") on delete restrict;`,
    );

    this.addSql(
      `alter table "deviation" add constraint "deviation_work_order_id_foreign" foreign key ("work_order_id") references "work_order" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "deviation" add constraint "deviation_kind_check" check ("kind" in ('OutOfTolerance', 'Correction'));`,
    );
    this.addSql(
      `alter table "deviation" add constraint "deviation_state_check" check ("state" in ('Open', 'Closed'));`,
    );
    this.addSql(`create function lot_genealogy_refuse_locked() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from material_lot where id = coalesce(old.output_id, new.output_id) and genealogy_locked_at is not null) then
          raise exception 'the genealogy of this lot is locked (released to stock or rejected); it cannot change';
        end if;
        return coalesce(new, old);
      end $$;`);
    this.addSql(
      `create trigger lot_genealogy_locked before insert or update or delete on lot_genealogy for each row execute function lot_genealogy_refuse_locked();`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists lot_genealogy_locked on lot_genealogy;`);
    this.addSql(`drop function if exists lot_genealogy_refuse_locked();`);
    this.addSql(`drop table if exists "electronic_signature" cascade;`);
    this.addSql(`drop table if exists "step_record" cascade;`);
    this.addSql(`drop table if exists "lot_genealogy" cascade;`);
    this.addSql(`drop table if exists "deviation" cascade;`);

    this.addSql(`alter table "material_lot" drop column "genealogy_locked_at";`);

    this.addSql(`alter table "work_order" drop column "line_cleared_at", drop column "produced_lot";`);
    this.addSql(`alter table "work_order" alter column "assignments" set default '[]';`);
  }
}
