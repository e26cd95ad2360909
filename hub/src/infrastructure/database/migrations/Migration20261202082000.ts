import { Migration } from '@mikro-orm/migrations';

export class Migration20261202082000 extends Migration {
  override name = 'Migration20261202082000';

  /**
   * Count quantities per machine and minute, kept by the database itself: statement triggers on
   * `production_count` add what an INSERT stored (and take back what a DELETE or UPDATE removed), so
   * every writer keeps it true, the ingest as well as a bulk load in SQL. OEE sums whole minutes
   * from here and only the minutes at a window's ends from the raw rows, so a live round reads a
   * few hundred rows per machine and shift instead of every count (issue 11, ADR 0010).
   */
  override async up(): Promise<void> {
    await this.execute(
      `create table "production_count_minute" ("equipment_id" uuid not null, "minute" timestamptz not null, "good" bigint not null, "scrap" bigint not null, "rework" bigint not null, primary key ("equipment_id", "minute"));`,
    );
    await this.execute(
      `alter table "production_count_minute" add constraint "production_count_minute_equipment_id_foreign" foreign key ("equipment_id") references "equipment" ("id") on delete cascade;`,
    );
    // Minutes from the Unix epoch, whatever the session's time zone. Rows are upserted in key
    // order, so two transactions adding to the same minutes lock them in the same order.
    await this.execute(`create function production_count_minute_apply() returns trigger language plpgsql as $$
      begin
        if tg_op in ('DELETE', 'UPDATE') then
          update production_count_minute m
             set good = m.good - o.good, scrap = m.scrap - o.scrap, rework = m.rework - o.rework
            from (select equipment_id, date_bin('1 minute', at, timestamptz 'epoch') as minute,
                         sum(good) as good, sum(scrap) as scrap, sum(rework) as rework
                    from old_rows group by 1, 2) o
           where m.equipment_id = o.equipment_id and m.minute = o.minute;
        end if;
        if tg_op in ('INSERT', 'UPDATE') then
          insert into production_count_minute (equipment_id, minute, good, scrap, rework)
          select equipment_id, date_bin('1 minute', at, timestamptz 'epoch'), sum(good), sum(scrap), sum(rework)
            from new_rows group by 1, 2 order by 1, 2
          on conflict (equipment_id, minute) do update
             set good = production_count_minute.good + excluded.good,
                 scrap = production_count_minute.scrap + excluded.scrap,
                 rework = production_count_minute.rework + excluded.rework;
        end if;
        return null;
      end $$`);
    await this.execute(
      'create trigger production_count_minute_insert after insert on production_count referencing new table as new_rows for each statement execute function production_count_minute_apply()',
    );
    await this.execute(
      'create trigger production_count_minute_delete after delete on production_count referencing old table as old_rows for each statement execute function production_count_minute_apply()',
    );
    await this.execute(
      'create trigger production_count_minute_update after update on production_count referencing old table as old_rows new table as new_rows for each statement execute function production_count_minute_apply()',
    );
    await this.execute(`create function production_count_minute_truncate() returns trigger language plpgsql as $$
      begin
        truncate production_count_minute;
        return null;
      end $$`);
    await this.execute(
      'create trigger production_count_minute_truncate after truncate on production_count for each statement execute function production_count_minute_truncate()',
    );
    await this.execute(
      `insert into production_count_minute (equipment_id, minute, good, scrap, rework)
       select equipment_id, date_bin('1 minute', at, timestamptz 'epoch'), sum(good), sum(scrap), sum(rework)
         from production_count group by 1, 2`,
    );
  }

  override async down(): Promise<void> {
    await this.execute('drop trigger production_count_minute_truncate on production_count');
    await this.execute('drop trigger production_count_minute_update on production_count');
    await this.execute('drop trigger production_count_minute_delete on production_count');
    await this.execute('drop trigger production_count_minute_insert on production_count');
    await this.execute('drop function production_count_minute_truncate()');
    await this.execute('drop function production_count_minute_apply()');
    await this.execute('drop table "production_count_minute"');
  }
}
