import { Migration } from '@mikro-orm/migrations';

export class Migration20261203121747 extends Migration {
  override name = 'Migration20261203121747';

  /**
   * The state history's foreign key to `equipment` goes (ADR 0055): every writer of the history
   * holds the equipment row's lock (`for update`) in the same transaction, so the per-row check
   * proved nothing and cost PostgreSQL about 4 µs per stored state signal. What the key also did,
   * remove an equipment's history with it, a statement trigger on `equipment` does instead (the hub
   * deletes no equipment; a hand-written `delete` keeps working as before).
   */
  override async up(): Promise<void> {
    this.addSql(`alter table "equipment_state_change" drop constraint "equipment_state_change_equipment_id_foreign";`);
    this.addSql(
      `create function equipment_state_change_cascade() returns trigger language plpgsql as $$
       begin
         delete from equipment_state_change c using gone where c.equipment_id = gone.id;
         return null;
       end $$;`,
    );
    this.addSql(
      `create trigger equipment_state_change_cascade after delete on equipment referencing old table as gone
       for each statement execute function equipment_state_change_cascade();`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger equipment_state_change_cascade on equipment;');
    this.addSql('drop function equipment_state_change_cascade();');
    this.addSql(
      `alter table "equipment_state_change" add constraint "equipment_state_change_equipment_id_foreign"
       foreign key ("equipment_id") references "equipment" ("id") on delete cascade;`,
    );
  }
}
