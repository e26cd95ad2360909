import { type Grant, Permission } from '@plantgraph/schema';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Principal } from '../../core/principal.js';

/** What Node-RED's editor auth sees of a caller: its name and editor permissions. */
export interface EditorUser {
  username: string;
  permissions: '*' | 'read';
  /** Login form: the hub credential itself becomes the editor's access token (see below). */
  token?: string;
}

type Log = Pick<Console, 'log' | 'warn'>;

/**
 * Editor permissions of a hub principal. Flows act with the flows' principal's grants, so whoever
 * edits them acts with those rights: editing needs ManageFlows over every scope the flows' grants
 * cover (with the default `engineer@*,gateway@*`: ManageFlows on `*`), viewing needs Read there.
 */
export function editorPermissions(
  principal: Principal,
  flowGrants: readonly Grant[],
): EditorUser['permissions'] | null {
  const covers = (permission: Permission) => flowGrants.every((g) => principal.can(permission, g.scope));
  if (covers(Permission.ManageFlows)) return '*';
  if (covers(Permission.Read)) return 'read';
  return null;
}

/**
 * Node-RED's `adminAuth` on the hub's identity: no user list of its own.
 * - API calls (and the editor after login) send `Authorization: Bearer <hub credential>` (an OIDC
 *   access token or a PlantGraph API key); `tokens()` checks it with the hub's `Authenticator` on
 *   every request, so expiry and revocation apply at once.
 * - The login form takes the hub credential as the password (the username is not checked);
 *   `authenticate()` returns it as the user's `token`, which Node-RED then hands to the editor
 *   as its access token, instead of minting a session of its own.
 */
export function editorAdminAuth(authenticator: Authenticator, flowGrants: readonly Grant[], log: Log) {
  const userFor = async (credential: string): Promise<EditorUser | null> => {
    let principal: Principal;
    try {
      principal = await authenticator.authenticate(`Bearer ${credential}`);
    } catch (err) {
      log.warn(`[flows] editor: credential refused (${(err as Error).message})`);
      return null;
    }
    const permissions = editorPermissions(principal, flowGrants);
    if (!permissions) {
      log.warn(
        `[auth] denied ${principal.name}: the flow editor (needs ManageFlows or Read over ${flowGrants.map((g) => g.scope).join(', ')})`,
      );
      return null;
    }
    return { username: principal.name, permissions };
  };
  return {
    type: 'credentials' as const,
    tokens: (token: string) => userFor(token),
    authenticate: async (_username: string, password: string) => {
      const user = await userFor((password ?? '').trim());
      return user ? { ...user, token: password.trim() } : null;
    },
  };
}
