import { Migration } from '@mikro-orm/migrations';

export class Migration20261122135013 extends Migration {
  override name = 'Migration20261122135013';

  /** Work-order lifecycle: master-record snapshot, assignments, reasons, material reservations. */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "material_reservation" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "work_order_id" uuid not null, "segment" varchar(255) not null, "lot_id" uuid not null, "quantity" numeric(18,6) not null, "consumed_quantity" numeric(18,6) not null default 0, "status" text not null default 'Reserved', primary key ("id"));`,
    );
    this.addSql(`create index "material_reservation_work_order_id_index" on "material_reservation" ("work_order_id");`);
    this.addSql(
      `create index "material_reservation_lot_id_status_index" on "material_reservation" ("lot_id", "status");`,
    );

    this.addSql(
      `alter table "work_order" add "snapshot" jsonb null, add "assignments" jsonb not null default '[]', add "state_reason" text null;`,
    );

    this.addSql(
      `alter table "material_reservation" add constraint "material_reservation_work_order_id_foreign" foreign key ("work_order_id") references "work_order" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "material_reservation" add constraint "material_reservation_lot_id_foreign" foreign key ("lot_id") references "material_lot" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "material_reservation" add constraint "material_reservation_status_check" check ("status" in ('Reserved', 'Consumed', 'Returned'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "material_reservation" cascade;`);

    this.addSql(
      `alter table "work_order" drop column "snapshot", drop column "assignments", drop column "state_reason";`,
    );
  }
}
