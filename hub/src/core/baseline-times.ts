import { AuditRecord } from '@plantgraph/schema';
import type { Database, Tx } from '../infrastructure/database/database.js';
import { chainHash, GENESIS } from './audit-chain.js';

/** An ISO 8601 time as JSON.stringify writes it (`toISOString`), the form the hub stores in JSON. */
const ISO_TIME = /"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"/g;
const TIME_TYPES = new Set(['timestamp with time zone', 'timestamp without time zone']);
const JSON_TYPES = new Set(['json', 'jsonb']);

interface Column {
  table_name: string;
  column_name: string;
  data_type: string;
}

/**
 * Moves every time in a database made from an extension's baseline (ADR 0049) by `byMs`, so its
 * data reads as written just before this start rather than at the build: every timestamp column,
 * every time inside JSON (audit snapshots, event payloads), and the audit chain's hashes, which
 * cover the times, recomputed in order. One transaction; triggers stay off while the rows move
 * (they are moved, not changed: derived rows such as count minutes move with them). The migration
 * table keeps its times: the migrations ran when the hub's baseline was built, as for any new folder.
 */
export async function moveBaselineTimes(db: Database, byMs: number): Promise<void> {
  const shift = Math.round(byMs);
  await db.em.fork().transactional(async (tx) => {
    await tx.execute(`set local session_replication_role = replica`);
    const columns = await tx.execute<Column[]>(
      `select c.table_name, c.column_name, c.data_type
         from information_schema.columns c
         join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = 'public' and t.table_type = 'BASE TABLE' and c.table_name <> 'mikro_orm_migrations'
          and c.data_type in ('timestamp with time zone', 'timestamp without time zone', 'json', 'jsonb', 'date')
        order by c.table_name, c.column_name`,
    );
    for (const { table_name: table, column_name: column, data_type: type } of columns) {
      const [t, c] = [quoted(table), quoted(column)];
      if (TIME_TYPES.has(type))
        await tx.execute(`update ${t} set ${c} = ${c} + make_interval(secs => ?::float8 / 1000)`, [shift]);
      else if (type === 'date')
        // Whole days: a date the seeding took from its clock moves as far as that clock's day did.
        await tx.execute(`update ${t} set ${c} = ${c} + ?::int`, [Math.round(shift / 86_400_000)]);
      else if (JSON_TYPES.has(type)) await moveJsonTimes(tx, t, c, type, shift);
    }
    await rehashAuditChain(tx);
  });
}

async function moveJsonTimes(tx: Tx, table: string, column: string, type: string, shift: number): Promise<void> {
  const rows = await tx.execute<{ id: string; doc: string }[]>(
    `select ctid::text as id, ${column}::text as doc from ${table} where ${column}::text ~ ?`,
    ['\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z'],
  );
  const moved = rows.map(({ id, doc }) => ({
    id,
    doc: doc.replace(ISO_TIME, (_, iso: string) => `"${new Date(Date.parse(iso) + shift).toISOString()}"`),
  }));
  if (!moved.length) return;
  // One statement for the column: a start that runs hundreds costs tenths of a second in PGlite.
  await tx.execute(
    `update ${table} set ${column} = m.doc::${type}
       from jsonb_to_recordset(?::jsonb) as m(id text, doc text) where ${table}.ctid = m.id::tid`,
    [JSON.stringify(moved)],
  );
}

/** Recomputes each record's link and hash in chain order, over its moved time and snapshots. */
async function rehashAuditChain(tx: Tx): Promise<void> {
  let previousHash = GENESIS;
  const records = await tx.find(AuditRecord, {}, { orderBy: { id: 'asc' }, disableIdentityMap: true });
  const links = records.map((r) => {
    const link = { id: r.id, previous: previousHash, hash: chainHash(previousHash, r) };
    previousHash = link.hash;
    return link;
  });
  if (!links.length) return;
  await tx.execute(
    `update audit_record set previous_hash = l.previous, hash = l.hash
       from jsonb_to_recordset(?::jsonb) as l(id text, previous text, hash text) where audit_record.id::text = l.id`,
    [JSON.stringify(links)],
  );
}

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
