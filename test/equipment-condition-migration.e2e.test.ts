import { describe, expect, it } from 'vitest';
import { type Database, migrate, openDatabase } from '@plantgraph/hub';
import { createTestDatabase, MODES, uniqueName } from './support/harness.js';

/** The last migration before the equipment condition (ADR 0016). */
const BEFORE_CONDITIONS = 'Migration20261202100000';

/**
 * CalibrationDue was a run state a signal could overwrite; the migration turns it into a
 * calibration record that holds the interlock, and the run state (and its history) into Down.
 */
describe.each(MODES)('migrating CalibrationDue from a run state to a condition (%s)', (mode) => {
  it('keeps calibration-due equipment blocked, with a record saying since when, and its history as Down', async () => {
    const pg = mode === 'postgres+nats' ? await createBareDatabase() : null;
    const db = await openDatabase({
      databaseUrl: pg?.url,
      dataDir: `memory://${uniqueName('migration')}`,
      logSql: false,
    });
    try {
      await db.migrator.up({ to: BEFORE_CONDITIONS });
      const em = db.em.fork();
      const since = '2026-11-30T08:00:00.000Z';
      await em.execute(
        `insert into equipment (id, created_at, updated_at, path, code, name, level, properties, state, state_reason, state_since)
         values (gen_random_uuid(), now(), now(), 'acme', 'acme', 'Acme', 'Enterprise', '[]', 'CalibrationDue', 'SCALE_CAL', ?),
                (gen_random_uuid(), now(), now(), 'other', 'other', 'Other', 'Enterprise', '[]', 'Running', null, ?)`,
        [since, since],
      );
      await em.execute(
        `insert into equipment_state_change (equipment_id, path, state, previous_state, reason, at, source)
         select id, path, 'CalibrationDue', 'Running', 'SCALE_CAL', ?, 'api:someone' from equipment where path = 'acme'`,
        [since],
      );
      expect(await migrate(db, () => {})).toContain('Migration20261202113405');
      const [acme, other] = await em.execute(
        `select path, state, state_reason, condition, condition_reason, condition_set_by, condition_due_at from equipment order by path`,
      );
      expect(acme).toMatchObject({
        state: 'Down',
        state_reason: 'SCALE_CAL',
        condition: 'CalibrationOverdue',
        condition_reason: 'SCALE_CAL',
        condition_set_by: 'migration',
      });
      expect(new Date(acme.condition_due_at).toISOString()).toBe(since);
      expect(other).toMatchObject({ state: 'Running', condition: 'Available', condition_reason: null });
      const records = await em.execute(
        'select kind, recorded_condition, reason, due_at, recorded_by, cleared_at from equipment_condition_record',
      );
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        kind: 'Calibration',
        recorded_condition: 'CalibrationDue',
        reason: 'SCALE_CAL',
        recorded_by: 'migration',
        cleared_at: null,
      });
      expect(await em.execute('select state, previous_state, reason from equipment_state_change')).toEqual([
        { state: 'Down', previous_state: 'Running', reason: 'SCALE_CAL' },
      ]);
      // The old run state is gone from the database's rules too.
      await expect(em.execute(`update equipment set state = 'CalibrationDue' where path = 'other'`)).rejects.toThrow(
        /equipment_state_check/,
      );
    } finally {
      await closeQuietly(db);
      await pg?.drop();
    }
  });
});

/** An empty PostgreSQL database (no migrations applied). */
async function createBareDatabase() {
  const { default: pg } = await import('pg');
  const created = await createTestDatabase();
  // createTestDatabase migrates; start again from nothing for this test.
  const client = new pg.Client({ connectionString: created.url });
  await client.connect();
  await client.query('drop schema public cascade; create schema public;');
  await client.end();
  return created;
}

async function closeQuietly(db: Database) {
  await db.close().catch(() => {});
}
