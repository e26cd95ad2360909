import { Migration } from '@mikro-orm/migrations';

export class Migration20261122140242 extends Migration {
  override name = 'Migration20261122140242';

  /** Step records keep container ids and the operator's pass/fail verdict. */
  override up(): void | Promise<void> {
    this.addSql(`alter table "step_record" add "containers" jsonb not null default '[]', add "passed" boolean null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "step_record" drop column "containers", drop column "passed";`);
  }
}
