import { type AuthConfig, completeAuth, type HubConfig, type OidcConfig } from '../config.js';
import type { Services } from '../services.js';
import { Gate } from '../graphql/gate.js';
import { Safelist } from '../graphql/hardening.js';
import { RateLimiter } from '../graphql/rate-limit.js';
import { TokenBuckets } from './token-buckets.js';
import { type LocalAdminKey, openLocalAdminKey } from './local-admin-key.js';

type Log = Pick<Console, 'log' | 'warn'>;

/**
 * Sets up who may come in, refusing unsafe setups: production needs an identity provider or a
 * usable API key; switching authentication off is allowed outside production only, loudly.
 */
export async function createGate(
  config: HubConfig,
  services: Services,
  log: Log,
): Promise<Gate & { localAdminKey: LocalAdminKey | null }> {
  const oidc = services.authenticator.oidc;
  let localAdminKey: LocalAdminKey | null = null;
  if (!config.auth.enabled) {
    log.warn(
      [
        '',
        '!!! AUTHENTICATION IS OFF (PLANTGRAPH_AUTH=off) !!!',
        '!!! Anyone who can reach this port can read and change everything. Use it on your own machine only. !!!',
        '',
      ].join('\n'),
    );
  } else if (config.production) {
    if (!oidc && !(await services.apiKeys.anyUsable())) {
      throw new Error(
        'Production mode needs a way to authenticate: set PLANTGRAPH_OIDC_ISSUER and PLANTGRAPH_OIDC_AUDIENCE for your identity provider, ' +
          'or create an API key first with `plantgraph api-key create --name <name> --grant admin@<scope>`.',
      );
    }
  } else if (!oidc) {
    // Kept in the data folder across restarts (local-admin-key.ts); a replaced one is told where it is.
    localAdminKey = await openLocalAdminKey(config, services.apiKeys);
    services.authenticator.explainLocalAdminKey(localAdminKey.file);
  }
  const safelist = config.limits.safelistFile ? Safelist.load(config.limits.safelistFile) : null;
  if (safelist) log.log(`[hub] operation safelist: ${safelist.size} documents from ${config.limits.safelistFile}`);
  const perMinute = completeAuth(config.auth).failuresPerAddressPerMinute;
  const rateLimiter = new RateLimiter(config.limits.ratePerSecond, config.limits.rateBurst);
  const addressFailures = new TokenBuckets(perMinute / 60, perMinute);
  const gate = new Gate(services.authenticator, rateLimiter, safelist, addressFailures, config.trustedProxies);
  return Object.assign(gate, { localAdminKey });
}

/** The authentication settings with the identity provider's JWKS URL found (discovery). */
export async function resolveAuthConfig(auth: AuthConfig): Promise<AuthConfig> {
  return { ...auth, oidc: auth.oidc ? await withJwksUrl(auth.oidc) : null };
}

/** Fills in the JWKS URL from the issuer's OpenID Connect discovery document. */
async function withJwksUrl(oidc: OidcConfig): Promise<OidcConfig> {
  if (oidc.jwksUrl) return oidc;
  const discovery = `${oidc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  try {
    const res = await fetch(discovery, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { jwks_uri?: string };
    if (!res.ok || !body.jwks_uri) throw new Error(`HTTP ${res.status}, jwks_uri ${body.jwks_uri ?? 'missing'}`);
    return { ...oidc, jwksUrl: body.jwks_uri };
  } catch (err) {
    throw new Error(
      `Cannot read the identity provider's discovery document ${discovery} (${(err as Error).message}). Check PLANTGRAPH_OIDC_ISSUER or set PLANTGRAPH_OIDC_JWKS_URL.`,
    );
  }
}
