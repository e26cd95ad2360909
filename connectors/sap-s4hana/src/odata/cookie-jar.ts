// The session cookies SAP sets (SAP_SESSIONID_<SID>_<client>, sap-usercontext, MYSAPSSO2 ...).
// A CSRF token is valid only together with the session it was issued for, so every request of one
// connection sends the same cookies back. One jar serves one SAP system (one host), so domain and path
// matching are not needed; expiry is honoured because Gateway ends a session by expiring its cookie.

export class CookieJar {
  private readonly cookies = new Map<string, { value: string; expiresAt?: number }>();

  /** Takes the Set-Cookie headers of a response. */
  store(setCookie: string | string[] | undefined, now = Date.now()): void {
    if (!setCookie) return;
    for (const header of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let expiresAt: number | undefined;
      for (const attribute of attributes) {
        const [key, raw = ''] = attribute.split('=').map((s) => s.trim());
        if (/^max-age$/i.test(key)) expiresAt = now + Number(raw) * 1000;
        else if (/^expires$/i.test(key) && expiresAt === undefined) {
          const at = Date.parse(raw);
          if (!Number.isNaN(at)) expiresAt = at;
        }
      }
      if (value === '' || (expiresAt !== undefined && expiresAt <= now)) this.cookies.delete(name);
      else this.cookies.set(name, { value, expiresAt });
    }
  }

  /** The Cookie header to send, or undefined when the jar is empty. */
  header(now = Date.now()): string | undefined {
    const parts: string[] = [];
    for (const [name, cookie] of this.cookies) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) this.cookies.delete(name);
      else parts.push(`${name}=${cookie.value}`);
    }
    return parts.length ? parts.join('; ') : undefined;
  }

  clear(): void {
    this.cookies.clear();
  }

  get size(): number {
    return this.cookies.size;
  }
}
