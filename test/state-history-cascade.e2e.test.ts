import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '@plantgraph/hub';
import { createTestDatabase, MODES, uniqueName } from './support/harness.js';

/**
 * The state history has no foreign key to `equipment` (ADR 0055: its writers hold the equipment
 * row's lock); deleting equipment still removes its history, and only its own, as the key's
 * `on delete cascade` did.
 */
describe.each(MODES)('the state history without a foreign key (%s)', (mode) => {
  it('goes with its equipment when the equipment is deleted', async () => {
    const pg = mode === 'postgres+nats' ? await createTestDatabase({ migrated: false }) : null;
    const db = await openDatabase({
      databaseUrl: pg?.url,
      dataDir: `memory://${uniqueName('cascade')}`,
      logSql: false,
    });
    try {
      await migrate(db, () => {});
      const em = db.em.fork();
      await em.execute(
        `insert into equipment (id, created_at, updated_at, path, code, name, level, properties, state_since)
         values (gen_random_uuid(), now(), now(), 'gone', 'gone', 'Gone', 'Enterprise', '[]', now()),
                (gen_random_uuid(), now(), now(), 'kept', 'kept', 'Kept', 'Enterprise', '[]', now())`,
      );
      await em.execute(
        `insert into equipment_state_change (equipment_id, path, state, at, source, sequence)
         select id, path, s.state, now(), 'plc', s.n + case when path = 'gone' then 0 else 10 end
           from equipment, (values ('Running', 1), ('Idle', 2)) as s(state, n)`,
      );
      await em.execute(`delete from equipment where path = 'gone'`);
      expect(
        await em.execute('select path, sequence::int as sequence from equipment_state_change order by sequence'),
      ).toEqual([
        { path: 'kept', sequence: 11 },
        { path: 'kept', sequence: 12 },
      ]);
    } finally {
      await db.close().catch(() => {});
      await pg?.drop();
    }
  });
});
