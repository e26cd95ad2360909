// CSRF as SAP Gateway does it: "X-CSRF-Token: Fetch" on a GET/HEAD returns a token bound to a session
// identified by the SAP_SESSIONID_<SID>_<client> cookie; a modifying request needs both, else 403 with
// "X-CSRF-Token: Required". A test can expire every session to make the client fetch again.

import { randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'SAP_SESSIONID_SIM_100';

interface Session {
  token: string;
}

export class CsrfSessions {
  private sessions = new Map<string, Session>();
  fetches = 0;
  rejections = 0;

  /** The token for the caller's session, opening a session (and setting its cookies) when it has none. */
  fetch(cookieHeader: string | undefined): { token: string; setCookie?: string[] } {
    this.fetches++;
    const id = sessionId(cookieHeader);
    const existing = id ? this.sessions.get(id) : undefined;
    if (existing && id) return { token: existing.token };
    const newId = randomBytes(24).toString('base64url');
    const session = { token: randomBytes(18).toString('base64') };
    this.sessions.set(newId, session);
    return {
      token: session.token,
      setCookie: [`${SESSION_COOKIE}=${newId}; path=/; HttpOnly`, 'sap-usercontext=sap-client=100; path=/'],
    };
  }

  /** Whether the token belongs to the session of these cookies. */
  check(cookieHeader: string | undefined, token: string | undefined): boolean {
    const id = sessionId(cookieHeader);
    const ok = !!id && !!token && this.sessions.get(id)?.token === token;
    if (!ok) this.rejections++;
    return ok;
  }

  /** Ends every session, as a session timeout or an ICM restart would. */
  expireAll(): void {
    this.sessions.clear();
  }

  get count(): number {
    return this.sessions.size;
  }
}

function sessionId(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}
