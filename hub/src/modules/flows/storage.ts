import { createHash, randomBytes } from 'node:crypto';
import type { Database, Tx } from '../../infrastructure/database/database.js';
import { appendToAuditChain } from '../../core/audit-chain.js';
import type { EventsCommitted } from '../../core/unit-of-work.js';
import { recordEvents } from '../../core/event-outbox.js';
import type { Subjects } from '../../subjects.js';
import { countNodes, parseFlows, serializeFlows } from './flow-document.js';
import { checkFlowPolicy, DEFAULT_FLOW_POLICY, type FlowPolicy, httpEndpoints } from './flow-policy.js';
import { Permission } from '@plantgraph/schema';
import { badUserInput } from '../../core/faults.js';
import { MAX_PAGE_SIZE } from '../../core/paging.js';
import type { Principal } from '../../core/principal.js';
import { requireEnterpriseWide } from '../../core/visibility.js';

export type FlowOrigin = 'editor' | 'cli';

export interface FlowRevisionRow {
  id: string;
  plant: string;
  nodeCount: number;
  sha256: string;
  deployedBy: string;
  deployedAt: Date;
  origin: FlowOrigin;
}

const REVISION_COLUMNS = `id::text as id, plant, node_count, sha256, deployed_by, deployed_at, origin`;
type RawRevision = {
  id: string;
  plant: string;
  node_count: number;
  sha256: string;
  deployed_by: string;
  deployed_at: Date | string;
  origin: FlowOrigin;
};
const toRevision = (r: RawRevision): FlowRevisionRow => ({
  id: r.id,
  plant: r.plant,
  nodeCount: Number(r.node_count),
  sha256: r.sha256.trim(),
  deployedBy: r.deployed_by,
  deployedAt: new Date(r.deployed_at),
  origin: r.origin,
});

/**
 * The flows of every plant in the hub's database (plain SQL; tables from Migration20261122160000):
 * a revision row per deploy holding the exact flows text, the credentials as Node-RED encrypted
 * them, Node-RED's settings and sessions, and the library. All replicas share it.
 */
export class FlowStore {
  constructor(
    private readonly db: Database,
    /** Woken after a deploy so its event goes out at once (a running hub's relay sweeps it up otherwise). */
    private readonly relay?: EventsCommitted,
    /** Without them (a bare store) no event is recorded. */
    private readonly subjects?: Subjects,
    /** What a deploy may contain (host access, function timeouts). */
    private readonly policy: FlowPolicy = DEFAULT_FLOW_POLICY,
  ) {}

  private run<T = Record<string, unknown>[]>(sql: string, params: unknown[] = []): Promise<T> {
    return this.db.em.fork().execute(sql, params) as Promise<T>;
  }

  /** The plant's credential secret; generated and stored once when `generate` and none is stored. */
  async credentialSecret(plant: string): Promise<{ secret: string; generated: boolean }> {
    const candidate = randomBytes(32).toString('hex');
    // One statement, so concurrent replicas agree on whichever secret was stored first.
    await this.run(`insert into flow_plant (plant) values (?) on conflict (plant) do nothing`, [plant]);
    const updated = await this.run<{ plant: string }[]>(
      `update flow_plant set credential_secret = ? where plant = ? and credential_secret is null returning plant`,
      [candidate, plant],
    );
    const [row] = await this.run<{ credential_secret: string }[]>(
      `select credential_secret from flow_plant where plant = ?`,
      [plant],
    );
    return { secret: row!.credential_secret, generated: updated.length > 0 };
  }

  /** The current flows text of a plant (its latest revision), or null before the first deploy. */
  async current(plant: string): Promise<(FlowRevisionRow & { flows: string }) | null> {
    const [row] = await this.run<(RawRevision & { flows: string })[]>(
      `select ${REVISION_COLUMNS}, flows from flow_revision where plant = ? order by id desc limit 1`,
      [plant],
    );
    return row ? { ...toRevision(row), flows: row.flows } : null;
  }

  /** The id of the latest revision (cheap; replicas poll it). */
  async latestRevisionId(plant: string): Promise<string | null> {
    const [row] = await this.run<{ id: string }[]>(
      `select id::text as id from flow_revision where plant = ? order by id desc limit 1`,
      [plant],
    );
    return row?.id ?? null;
  }

  /** Newest first. */
  /**
   * A plant's deploys for a reader, newest first. A plant's flows serve the whole installation, so
   * their history takes an enterprise-wide grant.
   */
  async deployments(principal: Principal, plant: string, first: number) {
    requireEnterpriseWide(principal, Permission.Read);
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
      throw badUserInput(`first must be between 1 and ${MAX_PAGE_SIZE} (got ${first}).`);
    }
    const rows = await this.run<(RawRevision & { flows: string })[]>(
      `select ${REVISION_COLUMNS}, flows from flow_revision where plant = ? order by id desc limit ?`,
      [plant, first],
    );
    return rows.map((r) => {
      const { id, ...row } = toRevision(r);
      return { revision: id, ...row, httpEndpoints: httpEndpoints(parseFlows(r.flows), this.policy) };
    });
  }

  async revisions(plant: string, first: number): Promise<FlowRevisionRow[]> {
    const rows = await this.run<RawRevision[]>(
      `select ${REVISION_COLUMNS} from flow_revision where plant = ? order by id desc limit ?`,
      [plant, first],
    );
    return rows.map(toRevision);
  }

  /**
   * Stores `text` (checked: a flows array the policy allows) exactly as given as the plant's new
   * revision, with an audit record in the same transaction and a `FlowsDeployed` event after the commit.
   */
  async saveRevision(plant: string, text: string, deployedBy: string, origin: FlowOrigin): Promise<FlowRevisionRow> {
    const flows = parseFlows(text);
    checkFlowPolicy(flows, this.policy);
    const sha256 = createHash('sha256').update(text).digest('hex');
    const row = await this.db.em.fork().transactional(async (tx: Tx) => {
      const [previous] = await tx.execute<{ id: string }[]>(
        `select id::text as id from flow_revision where plant = ? order by id desc limit 1`,
        [plant],
      );
      const [inserted] = await tx.execute<RawRevision[]>(
        `insert into flow_revision (plant, flows, node_count, sha256, deployed_by, origin) values (?, ?, ?, ?, ?, ?) returning ${REVISION_COLUMNS}`,
        [plant, text, countNodes(flows), sha256, deployedBy, origin],
      );
      const revision = toRevision(inserted!);
      await appendToAuditChain(tx, deployedBy, [
        {
          action: 'FlowsDeployed',
          entityType: 'FlowRevision',
          entityId: revision.id,
          before: previous ? { revision: previous.id } : null,
          after: { plant, revision: revision.id, nodeCount: revision.nodeCount, sha256, origin },
        },
      ]);
      if (this.subjects)
        await recordEvents(tx, [
          {
            subject: this.subjects.domainEvent('FlowsDeployed', plant),
            type: 'FlowsDeployed',
            data: { id: revision.id, key: plant, actor: deployedBy, nodeCount: revision.nodeCount, scope: '*' },
          },
        ]);
      return revision;
    });
    this.relay?.wake();
    return row;
  }

  async credentials(plant: string): Promise<Record<string, unknown>> {
    const [row] = await this.run<{ credentials: string | null }[]>(
      `select credentials from flow_plant where plant = ?`,
      [plant],
    );
    return row?.credentials ? (JSON.parse(row.credentials) as Record<string, unknown>) : {};
  }

  async saveCredentials(plant: string, credentials: unknown): Promise<void> {
    await this.run(
      `insert into flow_plant (plant, credentials) values (?, ?) on conflict (plant) do update set credentials = excluded.credentials`,
      [plant, JSON.stringify(credentials)],
    );
  }

  async json(plant: string, column: 'settings' | 'sessions'): Promise<Record<string, unknown>> {
    const [row] = await this.run<Record<string, unknown>[]>(
      `select ${column} as value from flow_plant where plant = ?`,
      [plant],
    );
    const value = row?.value;
    return (typeof value === 'string' ? JSON.parse(value) : (value ?? {})) as Record<string, unknown>;
  }

  async saveJson(plant: string, column: 'settings' | 'sessions', value: unknown): Promise<void> {
    await this.run(
      `insert into flow_plant (plant, ${column}) values (?, ?::jsonb) on conflict (plant) do update set ${column} = excluded.${column}`,
      [plant, JSON.stringify(value ?? {})],
    );
  }

  /** A library entry's body, or the listing of a folder (`dirs` then files with their meta). */
  async libraryEntry(
    plant: string,
    type: string,
    path: string,
  ): Promise<string | (string | Record<string, unknown>)[]> {
    const exact =
      type === 'flows' && path && !path.endsWith('.json') && !path.endsWith('/') ? [path, `${path}.json`] : [path];
    const [hit] = await this.run<{ body: string }[]>(
      `select body from flow_library_entry where plant = ? and type = ? and path in (${exact.map(() => '?').join(', ')}) order by length(path) limit 1`,
      [plant, type, ...exact],
    );
    if (hit) return hit.body;
    const folder = path === '' || path.endsWith('/') ? path : `${path}/`;
    const rows = await this.run<{ path: string; meta: unknown }[]>(
      `select path, meta from flow_library_entry where plant = ? and type = ? and starts_with(path, ?) order by path`,
      [plant, type, folder],
    );
    if (!rows.length && path !== '' && !path.endsWith('/')) throw new Error(`Library entry not found: ${type}/${path}`);
    const dirs = new Set<string>();
    const files: Record<string, unknown>[] = [];
    for (const r of rows) {
      const rest = r.path.slice(folder.length);
      const slash = rest.indexOf('/');
      if (slash >= 0) dirs.add(rest.slice(0, slash));
      else files.push({ ...((typeof r.meta === 'string' ? JSON.parse(r.meta) : r.meta) as object), fn: rest });
    }
    return [...dirs, ...files];
  }

  async saveLibraryEntry(plant: string, type: string, path: string, meta: unknown, body: string): Promise<void> {
    const key = type === 'flows' && !path.endsWith('.json') ? `${path}.json` : path;
    await this.run(
      `insert into flow_library_entry (plant, type, path, meta, body) values (?, ?, ?, ?::jsonb, ?)
      on conflict (plant, type, path) do update set meta = excluded.meta, body = excluded.body, updated_at = now()`,
      [plant, type, key, JSON.stringify(meta ?? {}), body],
    );
  }
}

/** Node-RED's `user` on a deploy: what the editor auth returned for the caller. */
type NodeRedUser = { username?: string } | null | undefined;

/**
 * Node-RED's `storageModule` over the `FlowStore`, for one plant. `hooks` hear a deploy through
 * this runtime being stored (so the revision watcher does not reload it again).
 */
export function nodeRedStorage(
  store: FlowStore,
  plant: string,
  hooks: { saving(): void; saved(revisionId: string | null): void },
) {
  const storage = {
    /** True when the last credentials read found none stored (a new plant). */
    noCredentialsStored: false,
    init: async () => {},
    getFlows: async () => {
      const current = await store.current(plant);
      return current ? JSON.parse(current.flows) : [];
    },
    saveFlows: async (flows: unknown[], user?: NodeRedUser) => {
      hooks.saving();
      let id: string | null = null;
      try {
        id = (await store.saveRevision(plant, serializeFlows(flows), user?.username ?? 'node-red', 'editor')).id;
      } finally {
        hooks.saved(id);
      }
    },
    getCredentials: async () => {
      const credentials = await store.credentials(plant);
      storage.noCredentialsStored = Object.keys(credentials).length === 0;
      return credentials;
    },
    saveCredentials: (credentials: unknown) => store.saveCredentials(plant, credentials),
    getSettings: () => store.json(plant, 'settings'),
    saveSettings: (settings: unknown) => store.saveJson(plant, 'settings', settings),
    getSessions: () => store.json(plant, 'sessions'),
    saveSessions: (sessions: unknown) => store.saveJson(plant, 'sessions', sessions),
    getLibraryEntry: (type: string, path: string) => store.libraryEntry(plant, type, path),
    saveLibraryEntry: (type: string, path: string, meta: unknown, body: string) =>
      store.saveLibraryEntry(plant, type, path, meta, body),
  };
  return storage;
}
