// The hub as `npm run bench:reads` runs it: a process of its own, configured from the environment
// (DATABASE_URL, NATS_URL …), flows off. Sends `{ url }` over IPC when it listens; answers the IPC
// message `statements` with the SQL statements it has run for requests, leaving out its own
// schedules (event relay and feed, readiness probe, escalation), as test/support/plant.ts does.
import { configFromEnv, startHub } from '@plantgraph/hub';

// The API key is looked up again every few seconds and its last use written at most once a minute: not per request.
const BACKGROUND = /event_outbox|^select 1$|escalation_level|connector_|"api_key"/;
const hub = await startHub(configFromEnv(process.env), { log: () => {}, warn: console.warn, error: console.error });
const connection = hub.db.em.getDriver().getConnection();
const execute = connection.execute;
let statements = 0;
connection.execute = function (...args) {
  if (!BACKGROUND.test(String(args[0]))) statements++;
  return execute.apply(this, args);
};
process.on('message', (m) => {
  if (m === 'statements') process.send({ statements });
});
process.on('SIGTERM', async () => {
  await hub.close();
  process.exit(0);
});
process.send({ url: hub.url });
