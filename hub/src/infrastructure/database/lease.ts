import pg from 'pg';

type Log = Pick<Console, 'log' | 'warn'>;

/**
 * Work that runs on exactly one replica (a plant's flows, the connectors' pollers and relay): the
 * replica holding the lease does it. `onChange(true)` when this replica becomes the leader,
 * `onChange(false)` when it loses the lease (stop the work at once).
 */
export interface Lease {
  readonly leader: boolean;
  start(onChange: (leader: boolean) => Promise<void> | void): Promise<void>;
  /** Releases the lease (if held) and stops trying. */
  stop(): Promise<void>;
}

/** The embedded database serves one process: that process always leads. */
export class LocalLease implements Lease {
  leader = false;
  async start(onChange: (leader: boolean) => Promise<void> | void): Promise<void> {
    this.leader = true;
    await onChange(true);
  }
  async stop(): Promise<void> {
    this.leader = false;
  }
}

/**
 * A PostgreSQL session advisory lock, `pg_try_advisory_lock(hashtext(key))` (e.g.
 * `plantgraph:flows:<plant>`), held on a connection of its own: it lasts exactly as long as that
 * session. The leader checks the session every `intervalMs` (a keepalive query with a timeout); when
 * the session fails it stops the work, since the database has released (or will release) the lock to
 * a standby. Standbys try to take the lock every `intervalMs`.
 */
export class PostgresLease implements Lease {
  leader = false;
  #client: pg.Client | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #onChange: (leader: boolean) => Promise<void> | void = () => {};
  #unreachable = false;
  constructor(
    private readonly databaseUrl: string,
    readonly key: string,
    /** Names the work in the log, e.g. "flows" or "connectors". */
    private readonly label: string,
    private readonly log: Log,
    private readonly intervalMs = 1000,
  ) {}

  async start(onChange: (leader: boolean) => Promise<void> | void): Promise<void> {
    this.#onChange = onChange;
    await this.tick();
  }

  private async tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      if (!this.#client) this.#client = await this.connect();
      this.#unreachable = false;
      if (this.leader) {
        await this.#client.query('select 1');
      } else {
        const { rows } = await this.#client.query<{ acquired: boolean }>(
          'select pg_try_advisory_lock(hashtext($1)) as acquired',
          [this.key],
        );
        if (rows[0]?.acquired && !this.#stopped) {
          this.leader = true;
          this.log.log(`[${this.label}] lease ${this.key}: acquired; this replica runs the ${this.label}`);
          await this.#onChange(true);
        }
      }
    } catch (err) {
      const client = this.#client;
      this.#client = null;
      client?.end().catch(() => {});
      if (this.leader) {
        this.leader = false;
        this.log.warn(
          `[${this.label}] lease ${this.key}: lost (${(err as Error).message}); stopping the ${this.label}`,
        );
        // Stopping the work may itself need the database that just went away: never let that escape.
        await Promise.resolve()
          .then(() => this.#onChange(false))
          .catch((e: Error) => this.log.warn(`[${this.label}] stopping after the lease was lost: ${e.message}`));
      } else if (!this.#stopped && !this.#unreachable) {
        // Once per outage, not once a second.
        this.log.warn(
          `[${this.label}] lease ${this.key}: cannot reach the database (${(err as Error).message}); retrying`,
        );
      }
      this.#unreachable = true;
    }
    if (!this.#stopped) this.#timer = setTimeout(() => void this.tick(), this.intervalMs);
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: `plantgraph-${this.label}-lease`,
      keepAlive: true,
      query_timeout: Math.max(2000, this.intervalMs * 2),
      connectionTimeoutMillis: 5000,
    });
    // A dropped connection surfaces at the next keepalive query; do not crash on the event.
    client.on('error', () => {});
    await client.connect();
    return client;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = null;
    if (client) {
      if (this.leader) await client.query('select pg_advisory_unlock(hashtext($1))', [this.key]).catch(() => {});
      await client.end().catch(() => {});
    }
    if (this.leader) {
      this.leader = false;
      this.log.log(`[${this.label}] lease ${this.key}: released`);
    }
  }
}
