import { EventEmitter } from 'node:events';
import type { PgPool, PgPoolClient, PgQueryResult } from 'bullmq';

interface PgliteResult {
  // biome-ignore lint/suspicious/noExplicitAny: rows are whatever the statement selects, as in pg
  rows: any[];
  affectedRows?: number;
}
type Parsers = Record<number, (value: string) => unknown>;
interface Queryable {
  query(text: string, params?: unknown[], options?: { parsers?: Parsers }): Promise<PgliteResult>;
  exec(text: string, options?: { parsers?: Parsers }): Promise<PgliteResult[]>;
}
/** The parts of PGlite used here: the hub's instance, reached through MikroORM, one in-process session. */
export interface PgliteSession extends Queryable {
  transaction<T>(work: (tx: Queryable & { rollback(): Promise<void> }) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

/**
 * node-postgres semantics for what BullMQ's PostgreSQL backend reads: the hub's PGlite keeps
 * timestamps as strings (MikroORM's parsers), node-postgres turns them into dates.
 */
const PG_PARSERS = { 1114: (s: string) => new Date(`${s}Z`), 1184: (s: string) => new Date(s) };
const LISTEN = /^\s*(?:--[^\n]*\n\s*)*(UN)?LISTEN\s+("?)(\w+|\*)\2\s*;?\s*$/i;

/**
 * A `pg.Pool` look-alike over the embedded database, so BullMQ's PostgreSQL backend runs on PGlite.
 *
 * PGlite is one session. Every statement of the queue therefore runs in its own short PGlite
 * transaction with `SET LOCAL search_path` to the queue's schema (the hub's tables stay first on
 * the session's own path), and PGlite's transaction lock orders it with the hub's transactions:
 * while the hub holds a transaction, queue statements wait, and the other way round. So never add
 * a job from inside a hub transaction: it would wait for itself.
 *
 * A client's `BEGIN … COMMIT` (BullMQ's migrations) becomes one PGlite transaction; `LISTEN`
 * becomes PGlite's `listen()`, whose notifications PGlite hands out after each statement.
 */
export class PglitePool extends EventEmitter implements PgPool {
  constructor(
    private readonly session: PgliteSession,
    private readonly schema: string,
  ) {
    super();
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`"${schema}" is not a plain schema name.`);
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg's own default row type, which BullMQ's PgPool expects
  query<R = any>(text: string, params?: readonly unknown[]): Promise<PgQueryResult<R>> {
    return this.session.transaction(async (tx) => {
      await tx.query(`SET LOCAL search_path TO ${this.schema}`);
      return run<R>(tx, text, params);
    });
  }

  async connect(): Promise<PgPoolClient> {
    return new PgliteClient(this.session, this);
  }

  async end(): Promise<void> {}
}

class PgliteClient extends EventEmitter implements PgPoolClient {
  readonly #unlisten = new Map<string, () => Promise<void>>();
  #tx: { queryable: Queryable; finish(commit: boolean): Promise<void> } | null = null;

  constructor(
    private readonly session: PgliteSession,
    private readonly pool: PglitePool,
  ) {
    super();
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg's own default row type, which BullMQ's PgPool expects
  async query<R = any>(text: string, params?: readonly unknown[]): Promise<PgQueryResult<R>> {
    const command = text.trim().replace(/;$/, '').toUpperCase();
    if (command === 'BEGIN') return this.#begin();
    if (command === 'COMMIT' || command === 'ROLLBACK') {
      if (!this.#tx) return { rows: [] };
      const tx = this.#tx;
      this.#tx = null;
      await tx.finish(command === 'COMMIT');
      return { rows: [] };
    }
    const listen = LISTEN.exec(text);
    if (listen) return this.#listen(!listen[1], listen[3]!);
    if (this.#tx) return run<R>(this.#tx.queryable, text, params);
    return this.pool.query<R>(text, params);
  }

  release(): void {}

  async #begin(): Promise<PgQueryResult> {
    let finish!: (commit: boolean) => void;
    const ended = new Promise<boolean>((r) => (finish = r));
    let began!: (tx: Queryable) => void;
    const beginning = new Promise<Queryable>((r) => (began = r));
    const done = this.session.transaction(async (tx) => {
      began(tx);
      if (!(await ended)) await tx.rollback();
    });
    // A failed BEGIN surfaces here rather than hanging the caller.
    const queryable = await Promise.race([beginning, done.then(() => beginning)]);
    this.#tx = {
      queryable,
      finish: async (commit) => {
        finish(commit);
        await done;
      },
    };
    return { rows: [] };
  }

  async #listen(on: boolean, channel: string): Promise<PgQueryResult> {
    if (on && !this.#unlisten.has(channel)) {
      const unlisten = await this.session.listen(channel, (payload) => this.emit('notification', { channel, payload }));
      this.#unlisten.set(channel, unlisten);
    } else if (!on) {
      for (const [name, unlisten] of this.#unlisten) {
        if (channel !== '*' && name !== channel) continue;
        this.#unlisten.delete(name);
        await unlisten();
      }
    }
    return { rows: [] };
  }
}

/** Statements without parameters may be scripts (BullMQ's migrations are); PGlite runs those with `exec`. */
async function run<R>(db: Queryable, text: string, params?: readonly unknown[]): Promise<PgQueryResult<R>> {
  if (!params?.length) {
    const results = await db.exec(text, { parsers: PG_PARSERS });
    const last = results.at(-1);
    return { rows: (last?.rows ?? []) as R[], rowCount: last?.affectedRows ?? null };
  }
  const result = await db.query(text, params as unknown[], { parsers: PG_PARSERS });
  return { rows: result.rows as R[], rowCount: result.affectedRows ?? null };
}
