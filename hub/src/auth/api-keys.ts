import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  ApiKey,
  type CreateApiKeyInput,
  CreatedApiKey,
  type Grant,
  Permission,
  Role,
  WHOLE_INSTALLATION,
} from '@plantgraph/schema';
import type { Database, Tx } from '../infrastructure/database/database.js';
import { isEquipmentPath, checkText } from '../core/keys.js';
import { snapshot, type UnitOfWork } from '../core/unit-of-work.js';
import { paginate, type PageRequest } from '../core/paging.js';
import { Principal, within } from '../core/principal.js';
import { forbidden } from '../core/visibility.js';
import { fail, invalidInput, notFound } from '../core/failures.js';

const TOKEN = /^pgk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
/** The name of the development hub's own admin key (see `local-admin-key.ts`). */
export const LOCAL_ADMIN = 'local-admin';

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** A key whose secret was right but which may no longer be used. */
export interface RefusedApiKey {
  name: string;
  revokedAt: Date | null;
  expiresAt: Date | null;
}

export interface VerifiedApiKey {
  id: string;
  principal: Principal;
  lastUsedAt: Date | null;
}

/** A presented `pgk_<prefix>_<secret>` as the prefix and the secret's hash; null when malformed. */
export function parseApiKey(token: string): { prefix: string; secretHash: string } | null {
  const match = TOKEN.exec(token);
  return match ? { prefix: match[1]!, secretHash: hash(match[2]!) } : null;
}

/** API keys for machines and connectors: created and revoked through GraphQL, stored as hashes. */
export class ApiKeyService {
  readonly #revokedListeners: ((prefix: string) => void)[] = [];

  constructor(
    private readonly db: Database,
    private readonly uow: UnitOfWork,
  ) {}

  /** The caller as the hub sees it: name, kind, grants and when the credential expires. */
  viewer(principal: Principal) {
    return {
      name: principal.name,
      kind: principal.kind,
      grants: [...principal.grants],
      expiresAt: principal.expiresAt,
    };
  }

  async list(em: Tx, principal: Principal, page: PageRequest) {
    if (principal.scopesFor(Permission.ManageKeys).includes(WHOLE_INSTALLATION))
      return paginate(em, ApiKey, {}, page, 'prefix');
    // Listed only to those who could have created it: every grant inside their ManageKeys scopes.
    // Keys are few, so the filter runs here and the page is cut after it, keeping counts honest.
    const visible = (await em.find(ApiKey, {}, { orderBy: { prefix: 'asc' } })).filter((k) =>
      grantsWithin(principal, k.grants),
    );
    const start = page.after
      ? visible.findIndex((k) => k.prefix === Buffer.from(page.after!, 'base64url').toString()) + 1
      : 0;
    const nodes = visible.slice(start, start + page.first);
    const edges = nodes.map((node) => ({ node, cursor: Buffer.from(node.prefix).toString('base64url') }));
    return {
      edges,
      totalCount: visible.length,
      pageInfo: {
        hasNextPage: start + page.first < visible.length,
        hasPreviousPage: start > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  create(principal: Principal, input: CreateApiKeyInput) {
    return this.uow.run(principal.name, async (work) => {
      checkText('name', input.name, 128);
      if (!input.grants.length)
        fail(invalidInput('grants', 'give at least one grant, e.g. { role: integrator, scope: "acme/berlin" }.'));
      for (const [i, g] of input.grants.entries()) {
        if (g.scope !== WHOLE_INSTALLATION && !isEquipmentPath(g.scope))
          fail(invalidInput(`grants[${i}].scope`, `"${g.scope}" is not a path prefix such as "acme/berlin", nor "*".`));
      }
      if (!grantsWithin(principal, input.grants))
        throw forbidden(principal, 'grant roles outside the scopes where you manage keys');
      if (input.expiresAt && input.expiresAt.getTime() <= Date.now())
        fail(invalidInput('expiresAt', 'lies in the past.'));
      const { key, secret } = issue(
        work.tx,
        input.name,
        input.grants.map((g) => ({ role: g.role, scope: g.scope })),
        principal.name,
        input.expiresAt ?? null,
      );
      work.changed('ApiKeyCreated', key, key.prefix);
      return Object.assign(new CreatedApiKey(), { apiKey: key, secret });
    });
  }

  async revoke(principal: Principal, id: string) {
    const revoked = await this.uow.run(principal.name, async (work) => {
      const key = (await work.tx.findOne(ApiKey, { id })) ?? fail(notFound('API key', id));
      if (!grantsWithin(principal, key.grants)) fail(notFound('API key', id));
      const before = snapshot(key);
      key.revokedAt ??= new Date();
      work.changed('ApiKeyRevoked', key, key.prefix, before);
      return key;
    });
    if (revoked instanceof ApiKey) for (const listener of this.#revokedListeners) listener(revoked.prefix);
    return revoked;
  }

  /**
   * The key a presented secret opens, or null when it is unknown, revoked, expired or the secret
   * is wrong. Reads only: callers cache the answer and record the use (`recordUse`) sparingly.
   */
  async verify(prefix: string, secretHash: string): Promise<VerifiedApiKey | null> {
    const checked = await this.check(prefix, secretHash);
    return checked && 'principal' in checked ? checked : null;
  }

  /**
   * As `verify`, and when the secret is right but the key revoked or expired, which of the two
   * (to tell its holder, in the same one query); null when unknown or the secret is wrong.
   */
  async check(prefix: string, secretHash: string): Promise<VerifiedApiKey | RefusedApiKey | null> {
    const key = await this.db.em.fork().findOne(ApiKey, { prefix });
    if (!key || !timingSafeEqual(Buffer.from(key.secretHash), Buffer.from(secretHash))) return null;
    if (key.revokedAt || (key.expiresAt && key.expiresAt.getTime() <= Date.now()))
      return { name: key.name, revokedAt: key.revokedAt ?? null, expiresAt: key.expiresAt ?? null };
    const principal = new Principal(key.name, 'api-key', key.grants, key.expiresAt ?? null, null, key.id);
    return { id: key.id, principal, lastUsedAt: key.lastUsedAt ?? null };
  }

  /** Records when a key was last used (shown in `apiKeys`; callers write it at most once a minute). */
  async recordUse(id: string, at: Date): Promise<void> {
    await this.db.em.fork().nativeUpdate(ApiKey, { id }, { lastUsedAt: at });
  }

  /** Calls `listener` with the prefix of each key revoked through this replica, once committed. */
  onRevoked(listener: (prefix: string) => void): void {
    this.#revokedListeners.push(listener);
  }

  /** Whether any key can still be used (production mode needs a way in). */
  async anyUsable(): Promise<boolean> {
    return (
      (await this.db.em
        .fork()
        .count(ApiKey, { revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] })) > 0
    );
  }

  /** Issues a key outside GraphQL (the CLI); returns the secret. */
  async issueDirect(name: string, grants: Grant[], createdBy: string, expiresAt: Date | null = null): Promise<string> {
    const em = this.db.em.fork();
    return em.transactional(async (tx) => {
      const { key, secret } = issue(tx, name, grants, createdBy, expiresAt);
      await tx.flush();
      void key;
      return secret;
    });
  }

  /**
   * A new local admin key for a development hub (see `local-admin-key.ts`), in one audited
   * transaction that revokes the earlier ones; returns the secret.
   */
  async rotateLocalAdmin(actor: string): Promise<string> {
    const revoked: string[] = [];
    const secret = await this.uow.run(actor, async (work) => {
      for (const key of await work.tx.find(ApiKey, { name: LOCAL_ADMIN, revokedAt: null })) {
        const before = snapshot(key);
        key.revokedAt = new Date();
        work.changed('ApiKeyRevoked', key, key.prefix, before);
        revoked.push(key.prefix);
      }
      const grants = [{ role: Role.Admin, scope: WHOLE_INSTALLATION }];
      const { key, secret } = issue(work.tx, LOCAL_ADMIN, grants, actor, null);
      work.changed('ApiKeyCreated', key, key.prefix);
      return secret;
    });
    if (typeof secret !== 'string') throw new Error(`Rotating the local admin key failed: ${secret.message}`);
    for (const prefix of revoked) for (const listener of this.#revokedListeners) listener(prefix);
    return secret;
  }

  /** Whether `secret` is the current local admin key of this database. */
  async isCurrentLocalAdmin(secret: string): Promise<boolean> {
    const presented = parseApiKey(secret);
    if (!presented) return false;
    return (await this.verify(presented.prefix, presented.secretHash))?.principal.id === LOCAL_ADMIN;
  }
}

function issue(tx: Tx, name: string, grants: Grant[], createdBy: string, expiresAt: Date | null) {
  const prefix = randomBytes(9).toString('base64url').replace(/[-_]/g, '0').slice(0, 12);
  const secretPart = randomBytes(32).toString('base64url');
  const key = tx.create(ApiKey, { name, prefix, secretHash: hash(secretPart), grants, createdBy, expiresAt });
  return { key, secret: `pgk_${prefix}_${secretPart}` };
}

/** Whether every grant lies inside a scope where the principal may manage keys. */
export function grantsWithin(principal: Principal, grants: readonly Grant[]): boolean {
  const scopes = principal.scopesFor(Permission.ManageKeys);
  return grants.every((g) => scopes.some((s) => within(g.scope, s)));
}
