// The hub as `npm run bench:reads` runs it: a process of its own, configured from the environment
// (DATABASE_URL, NATS_URL …), flows off. Sends `{ url }` over IPC when it listens; answers the IPC
// message `statements` with the SQL statements it has run for requests, leaving out its own
// schedules (event relay and feed, readiness probe, escalation), as test/support/plant.ts does.
// BENCH_CLI=<build>/hub/dist/cli.js starts that build's hub instead (a before/after).
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const { configFromEnv, startHub } = await import(
  process.env.BENCH_CLI ? pathToFileURL(join(dirname(process.env.BENCH_CLI), 'index.js')).href : '@plantgraph/hub'
);

// Not per request: the API key is looked up again every few seconds and its last use written at most once
// a minute; the calibration check runs on a timer.
const BACKGROUND = /event_outbox|^select 1$|escalation_level|connector_|"api_key"|advisory|"condition_due_at" <=/;
const hub = await startHub(configFromEnv(process.env), { log: () => {}, warn: console.warn, error: console.error });
const connection = hub.db.em.getDriver().getConnection();
// `executeQuery`: the ORM's statements and those bound by the driver (compiled reads, the ingest) alike.
const execute = connection.executeQuery;
let statements = 0;
connection.executeQuery = function (...args) {
  if (BACKGROUND.test(String(args[0]))) return execute.apply(this, args);
  statements++;
  // BENCH_READS_LOG_STATEMENTS=1 prints each counted statement (to see what a shape costs); `full`, the
  // whole text and its parameters (to EXPLAIN it against a database kept with BENCH_READS_KEEP_DATABASE=1).
  const full = process.env.BENCH_READS_LOG_STATEMENTS === 'full';
  if (process.env.BENCH_READS_LOG_STATEMENTS)
    console.error(
      `[hub sql] ${full ? `${args[0]}\n[hub sql parameters] ${JSON.stringify(args[1])}` : String(args[0]).slice(0, 160)}`,
    );
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
