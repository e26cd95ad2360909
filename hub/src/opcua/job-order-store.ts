import type { Database } from '../infrastructure/database/database.js';
import type { JobOrderPlan } from './job-order-plan.js';

type Assignments = JobOrderPlan['assignments'];

/**
 * What the Job Control face keeps of the job orders it received, beside the work orders themselves: the release
 * assignments a Store brought (Job Control's Start carries none) and when an order was cleared off its
 * receiver's list. Rows of `opcua_job_order`, so a Start after a restart or at another replica finds them.
 * Plain SQL, written after the command's own audited transaction (`importWorkOrder`): receiver bookkeeping, like
 * a connector's store, not a business change; a Store whose write here failed answers Bad and may be repeated.
 */
export class JobOrderStore {
  constructor(private readonly db: Database) {}

  /** A job order was stored (or updated): its assignments until Start; it is on its receiver's list again. */
  async stored(number: string, workCenter: string, assignments: Assignments): Promise<void> {
    await this.db.em.fork().execute(
      `insert into opcua_job_order (number, work_center, assignments, stored_at, cleared_at)
       values (?, ?, ?::jsonb, now(), null)
       on conflict (number) do update set work_center = excluded.work_center, assignments = excluded.assignments,
         stored_at = excluded.stored_at, cleared_at = null`,
      [number, workCenter, JSON.stringify(assignments)],
    );
  }

  /** The assignments stored with `number`, or null when it was not stored through Job Control. */
  async assignments(number: string): Promise<Assignments | null> {
    const [row] = await this.db.em
      .fork()
      .execute<{ assignments: Assignments | string | null }[]>(
        'select assignments from opcua_job_order where number = ? and cleared_at is null',
        [number],
      );
    if (!row?.assignments) return null;
    return typeof row.assignments === 'string' ? (JSON.parse(row.assignments) as Assignments) : row.assignments;
  }

  /** Takes a finished order off its receiver's list (any order at the work center, stored here or not). */
  async clear(number: string, workCenter: string): Promise<void> {
    await this.db.em.fork().execute(
      `insert into opcua_job_order (number, work_center, assignments, stored_at, cleared_at)
       values (?, ?, null, now(), now())
       on conflict (number) do update set assignments = null, cleared_at = now()`,
      [number, workCenter],
    );
  }

  /** Which of `numbers` were cleared. */
  async cleared(numbers: readonly string[]): Promise<Set<string>> {
    if (!numbers.length) return new Set();
    const rows = await this.db.em
      .fork()
      .execute<{ number: string }[]>(
        `select number from opcua_job_order where cleared_at is not null and number in (${numbers.map(() => '?').join(', ')})`,
        [...numbers],
      );
    return new Set(rows.map((r) => r.number));
  }
}
