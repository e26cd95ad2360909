import {
  ANY_CALLER,
  type Grant,
  type Permission,
  Role,
  ROLE_PERMISSIONS,
  WHOLE_INSTALLATION,
} from '@plantgraph/schema';

/** `service`: a part of the hub acting in its own name (e.g. `flows:<plant>`, the embedded flows). */
export type PrincipalKind = 'user' | 'api-key' | 'system' | 'auth-off' | 'service';

/** Who is calling, and which roles they hold over which parts of the hierarchy. */
export class Principal {
  readonly #scopes = new Map<string, string[]>();

  constructor(
    readonly id: string,
    readonly kind: PrincipalKind,
    readonly grants: readonly Grant[],
    /** When the credential stops being valid (a token's `exp`), if it does. */
    readonly expiresAt: Date | null = null,
    /** When the person signed in to get this credential (a token's `auth_time`), for re-authentication. */
    readonly authenticatedAt: Date | null = null,
    /** The API key's id: revoking the key ends what was opened with it (its WebSockets). */
    readonly keyId: string | null = null,
  ) {}

  /** The name written to audit records and logs. */
  get name(): string {
    if (this.kind === 'auth-off') return 'anonymous';
    return this.kind === 'service' ? this.id : `${this.kind}:${this.id}`;
  }

  /** The hub itself acting (seeding the demo plant): may do everything. */
  static system(id: string): Principal {
    return new Principal(id, 'system', [{ role: Role.Admin, scope: WHOLE_INSTALLATION }]);
  }

  /** A hub component with its own configured grants, named by `id` (e.g. `flows:demo`). */
  static service(id: string, grants: readonly Grant[]): Principal {
    return new Principal(id, 'service', grants);
  }

  /** Path prefixes where the permission holds, without nested duplicates; `*` means all. */
  scopesFor(permission: Permission): string[] {
    let scopes = this.#scopes.get(permission);
    if (!scopes) {
      const all = this.grants.filter((g) => ROLE_PERMISSIONS[g.role]?.includes(permission)).map((g) => g.scope);
      scopes = all.includes(WHOLE_INSTALLATION)
        ? [WHOLE_INSTALLATION]
        : [...new Set(all)].filter((s) => !all.some((o) => o !== s && within(s, o)));
      this.#scopes.set(permission, scopes);
    }
    return scopes;
  }

  /** Whether the permission holds at the equipment `path`. */
  can(permission: Permission, path: string): boolean {
    return this.scopesFor(permission).some((scope) => scope === WHOLE_INSTALLATION || within(path, scope));
  }

  /** Whether the permission holds anywhere at all (the coarse check on API fields). */
  canAnywhere(permission: Permission | typeof ANY_CALLER): boolean {
    return permission === ANY_CALLER || this.scopesFor(permission).length > 0;
  }

  /**
   * Whether the permission holds for a whole enterprise (or everything): needed for master data
   * that belongs to no single area, like classes, material definitions and product definitions.
   */
  canEnterpriseWide(permission: Permission): boolean {
    return this.scopesFor(permission).some((scope) => scope === WHOLE_INSTALLATION || !scope.includes('/'));
  }
}

/** Whether `path` is `scope` or lies under it. */
export function within(path: string, scope: string): boolean {
  return scope === WHOLE_INSTALLATION || path === scope || path.startsWith(`${scope}/`);
}
