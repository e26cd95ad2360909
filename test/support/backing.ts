import { migrate, NatsBus, openDatabase, Subjects, type Database } from '@plantgraph/hub';
import { createTestDatabase, deleteNatsNamespace, TEST_NATS_URL, uniqueName } from './harness.js';

/**
 * A migrated PostgreSQL database of its own and a NATS bus in a namespace of its own, for tests that
 * wire parts of the hub themselves; `cleanup` receives what removes them, to run in reverse order.
 */
export async function postgresAndNats(cleanup: (() => Promise<unknown>)[]): Promise<{ db: Database; bus: NatsBus }> {
  const database = await createTestDatabase();
  cleanup.push(() => database.drop());
  const db = await openDatabase({ databaseUrl: database.url, dataDir: '', logSql: false });
  cleanup.push(() => db.close());
  await migrate(db, () => {});
  const namespace = uniqueName('b');
  cleanup.push(() => deleteNatsNamespace(namespace));
  const bus = await NatsBus.connect(TEST_NATS_URL, new Subjects(namespace));
  cleanup.push(() => bus.close());
  return { db, bus };
}
