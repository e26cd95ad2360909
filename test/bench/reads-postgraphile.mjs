// The peer `npm run bench:reads` measures the hub against: PostGraphile v5 (amber preset) on the
// hub's database, in a process of its own. Only this benchmark imports it; the hub never does.
// argv: <database url>. Prints `listening <url>` when ready; answers the IPC message `statements`
// with the number of SQL statements its pool has sent (pg's Client.query, counted at the driver).
import { createServer } from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (...args) {
  statements++;
  return query.apply(this, args);
};
process.on('message', (m) => {
  if (m === 'statements') process.send({ statements });
});

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: process.argv[2], schemas: ['public'] })],
  grafserv: { graphqlPath: '/graphql', watch: false },
  grafast: { explain: false },
};
const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
await serv.addTo(server);
server.listen(0, '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}/graphql`);
});
process.on('SIGTERM', async () => {
  server.close();
  await pgl.release();
  process.exit(0);
});
