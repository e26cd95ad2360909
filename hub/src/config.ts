import { natsStartTimeoutMs, serviceUrl } from './service-urls.js';
import { embeddedDataDir } from './data-dir.js';
import { type Grant, Role, WHOLE_INSTALLATION } from '@plantgraph/schema';
import { isEquipmentPath } from './core/keys.js';
import type { LogFormat } from './observability/logger.js';
import { type TracingConfig, tracingFromEnv } from './observability/tracing.js';

export interface OidcConfig {
  issuer: string;
  audience: string;
  /** Unset: read from the issuer's `/.well-known/openid-configuration` at start. */
  jwksUrl?: string;
  /** Claim (dotted path) listing roles, as `role` or `role@scope`. */
  rolesClaim: string;
  /** Claim listing the scopes that plain roles apply to. */
  scopesClaim: string;
  clockSkewSeconds: number;
  /**
   * The plant console's public client at this provider (`PLANTGRAPH_OIDC_CONSOLE_CLIENT_ID`): it signs
   * in with the authorization code flow and PKCE, redirecting back to `<hub>/console`. Unset: the
   * console says so and takes pasted tokens and API keys only.
   */
  consoleClientId?: string;
  /** The scopes the console asks for (`PLANTGRAPH_OIDC_CONSOLE_SCOPES`, default `openid profile`). */
  consoleScopes?: string;
}

export interface AuthConfig {
  /** Off only when explicitly asked for (`PLANTGRAPH_AUTH=off`), never in production. */
  enabled: boolean;
  oidc: OidcConfig | null;
  /**
   * The development identity provider inside the hub (`/dev-idp`, ADR 0015): on by default outside
   * production when no identity provider is configured (`PLANTGRAPH_DEV_IDP=off` turns it off); never
   * in production. `password` is the sign-in password (`PLANTGRAPH_DEV_IDP_PASSWORD`), else generated
   * at each start. Unset: off.
   */
  devIdentityProvider?: { password?: string } | null;
  /** Rejected credentials one source address may present a minute before it gets 429s (per replica). */
  failuresPerAddressPerMinute?: number;
  /** Wrong secrets for one API key (by its prefix) a minute before that key's attempts get 429s. */
  failuresPerKeyPerMinute?: number;
  /** How long a verified API key is trusted without a database lookup; 0 looks it up every time. */
  apiKeyCacheMs?: number;
}

/** What the optional settings above are when a config object leaves them out. */
export const AUTH_DEFAULTS = {
  failuresPerAddressPerMinute: 30,
  failuresPerKeyPerMinute: 10,
  apiKeyCacheMs: 1000,
} as const;

/** Bounds on what one caller can ask of the hub; documented in the README. */
export interface LimitsConfig {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
  maxDirectives: number;
  /**
   * Operations per caller and second, counted by each replica on its own: N replicas behind a load
   * balancer allow up to N times this (as do the failed-authentication limits in `AuthConfig`).
   */
  ratePerSecond: number;
  rateBurst: number;
  maxSubscriptionsPerSocket: number;
  /** Bytes queued on a subscriber's socket before it is disconnected as too slow. */
  maxSocketBufferBytes: number;
  /** Events waiting for one subscription's execution in the feed; past that it reads on from the outbox. */
  maxQueuedEvents: number;
  /** A JSON file of allowed operation documents; when set, nothing else runs. */
  safelistFile?: string;
  /** Open TCP connections (HTTP and WebSocket) one source address may hold. */
  maxConnectionsPerAddress?: number;
  /** Time a client has to send its request headers. */
  headersTimeoutMs?: number;
  /** Time a client has to send its whole request, body included. */
  requestTimeoutMs?: number;
}

/** What the optional limits are when a config object leaves them out. */
export const LIMIT_DEFAULTS = {
  maxConnectionsPerAddress: 200,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
} as const;

/** The limits with every optional one filled in. */
export const completeLimits = (limits: LimitsConfig) => ({ ...LIMIT_DEFAULTS, ...withoutUndefined(limits) });
export const completeAuth = (auth: AuthConfig) => ({ ...AUTH_DEFAULTS, ...withoutUndefined(auth) });
const withoutUndefined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Everything the hub reads from its environment; see the README's configuration table. */
export interface HubConfig {
  /** Production: introspection and field suggestions off, auth mandatory. */
  production: boolean;
  auth: AuthConfig;
  limits: LimitsConfig;
  port: number;
  host: string;
  /**
   * Addresses of reverse proxies in front of the hub: for their connections the client's address
   * is read from `X-Forwarded-For`, and they are exempt from the per-address connection cap.
   */
  trustedProxies?: string[];
  /** `text` or `json` (`PLANTGRAPH_LOG_FORMAT`); unset: JSON in production when not writing to a terminal. */
  logFormat?: LogFormat;
  /** Traces to an OTLP/HTTP collector (the standard `OTEL_EXPORTER_OTLP_*` variables); null: off. */
  tracing?: TracingConfig | null;
  /** When set, `/metrics` answers only `Authorization: Bearer <token>` (ADR 0022); unset, it is open. */
  metricsToken?: string;
  /** The OPC UA ISA-95 Job Control face's TCP port (`PLANTGRAPH_OPCUA_PORT`, 0: any free one); null: off. */
  opcuaPort?: number | null;
  /** PostgreSQL connection string; unset runs the embedded database (PGlite) in `dataDir`. */
  databaseUrl?: string;
  /** Folder for embedded data; `memory://` keeps it in memory only. */
  dataDir: string;
  /** NATS server URL(s), comma-separated; unset runs the in-process bus. */
  natsUrl?: string;
  /** Prefix of subjects and streams, so several installations can share one NATS. */
  natsNamespace: string;
  /** How long NATS has at start to answer, then for JetStream (`PLANTGRAPH_NATS_START_TIMEOUT_MS`, ADR 0057). */
  natsStartTimeoutMs?: number;
  /** Redis for the connectors' job queue (BullMQ); unset, jobs are kept in the hub's database. */
  redisUrl?: string;
  /**
   * The demo was asked for (`--demo`, `PLANTGRAPH_DEMO`): the CLI then runs the `@plantgraph/demo`
   * extension (its settings are its own), and the flows plant defaults to `demo`.
   */
  demo: boolean;
  /** Default time an alert may stay unacknowledged before it escalates a level. */
  alertEscalateAfterSeconds: number;
  /** How often the hub looks for alerts to escalate. */
  alertEscalationCheckMs: number;
  /** How often the hub looks for calibrations that have fallen due (they become CalibrationOverdue). */
  equipmentConditionCheckMs: number;
  /** How often live OEE figures are published for machines that reported. */
  oeeUpdateIntervalMs: number;
  /** How long numbered events are kept for resuming subscribers and connectors (ADR 0010). */
  eventRetentionHours: number;
  /** Log every SQL statement (for debugging). */
  logSql: boolean;
  /**
   * Embedded database: let V8 optimise PGlite's WebAssembly (PLANTGRAPH_EMBEDDED_OPTIMIZE=on): about
   * 30 % more database throughput under sustained load, about 500 MB more at start. Off by default
   * (baseline code only; `openDatabase`).
   */
  embeddedOptimize: boolean;
  /** The embedded Node-RED runtime (editor at `/flows`, `http in` endpoints under `/flows-http`). */
  flows: FlowsConfig;
  connectors: ConnectorsConfig;
}

export interface ConnectorsConfig {
  /**
   * Encrypts connector secrets (`PLANTGRAPH_CONNECTOR_SECRET`); unset: a key generated once and kept
   * in the database, which protects exported rows but not a stolen database.
   */
  secret?: string;
  /** How often the leader turns new hub events into deliveries and looks for deliveries without a job. */
  relayIntervalMs: number;
  /** How often the leader checks each enabled connector's connection (a real round trip). */
  healthIntervalMs: number;
  /**
   * A delivery without progress this long gets its job added again (a no-op while the job exists):
   * the relay's add failed (the queue was away) or the job was lost.
   */
  sweepAfterMs: number;
  /**
   * How long a job's worker may go silent before the job counts as stalled and runs again (a hub killed
   * mid-delivery): its delivery then reconciles before it sends. Lower is faster recovery, more checks.
   */
  jobLockMs: number;
}

export interface FlowsConfig {
  enabled: boolean;
  /** The flows document this hub runs (one Node-RED runtime per process, one plant). */
  plant: string;
  /** Encrypts node credentials; unset outside production: generated once and kept in the database. */
  credentialSecret?: string;
  /**
   * What the flows' principal (`flows:<plant>`) may do, as `role@scope` grants. Reporting signals
   * needs SetEquipmentState (gateway) at the equipment, as for any other sender of signals. Every
   * flow editor acts with these grants, so the default holds no more than an engineer's and a
   * gateway's: no MaintainEquipment (interlocks), no ExecuteSteps.
   */
  grants: Grant[];
  /**
   * Load and accept the Node-RED core nodes that reach the hub's host (exec, file, watch, tcp,
   * udp): they run as the hub's user with its environment. Off unless set (`PLANTGRAPH_FLOWS_HOST_ACCESS`).
   */
  hostAccess: boolean;
  /** The longest a function node may run at a time (Node-RED's function timeout), in seconds. */
  functionTimeoutSeconds: number;
  /**
   * `http in` endpoints that answer without the hub's credentials: paths under `/flows-http`
   * (`/status`), or prefixes ending in `/*` (`/andon/*`). Every other endpoint authenticates.
   */
  publicHttpPaths: string[];
  /** The Node-RED child process: its memory cap and heartbeat (`flows-process.ts`). */
  process: FlowsProcessSettings;
}

/** The flows process's settings: `PLANTGRAPH_FLOWS_MEMORY_MB`, `PLANTGRAPH_FLOWS_HEARTBEAT_TIMEOUT_MS`. */
function flowsProcessSettings(int: (name: string, fallback: number, min?: number) => number): FlowsProcessSettings {
  const heartbeatTimeoutMs = int('PLANTGRAPH_FLOWS_HEARTBEAT_TIMEOUT_MS', 10_000, 500);
  return {
    memoryMb: int('PLANTGRAPH_FLOWS_MEMORY_MB', 512, 64),
    heartbeatTimeoutMs,
    heartbeatIntervalMs: Math.min(1000, Math.floor(heartbeatTimeoutMs / 4)),
    startTimeoutMs: 60_000,
  };
}

/** The flows child process (`hub/src/modules/flows/flows-process.ts`). */
export interface FlowsProcessSettings {
  /** `--max-old-space-size` of the child, in MiB (`PLANTGRAPH_FLOWS_MEMORY_MB`). */
  memoryMb: number;
  /** How often the hub pings the child over IPC. */
  heartbeatIntervalMs: number;
  /** How long the child may leave a ping unanswered before it is killed and started again. */
  heartbeatTimeoutMs: number;
  /** How long a start may take (Node-RED loading its nodes and the plant's flows). */
  startTimeoutMs: number;
}

/** Reads `role@scope` grants, e.g. `engineer@*,operator@acme/berlin`. */
export function parseGrants(text: string, setting: string): Grant[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [role, scope] = entry.split('@');
      if (
        !Object.values(Role).includes(role as Role) ||
        !scope ||
        (scope !== WHOLE_INSTALLATION && !isEquipmentPath(scope))
      ) {
        throw new Error(
          `${setting}: "${entry}" is not a grant; write <role>@<scope>, role one of ${Object.values(Role).join(', ')}, scope an equipment path or *.`,
        );
      }
      return { role: role as Role, scope };
    });
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<HubConfig> = {}): HubConfig {
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number (0-65535), got "${env.PORT}".`);
  const production = env.NODE_ENV === 'production' || env.PLANTGRAPH_PRODUCTION === '1';
  const authSetting = (env.PLANTGRAPH_AUTH ?? 'on').toLowerCase();
  if (!['on', 'off'].includes(authSetting))
    throw new Error(`PLANTGRAPH_AUTH must be "on" or "off", got "${env.PLANTGRAPH_AUTH}".`);
  if (production && authSetting === 'off')
    throw new Error(
      'PLANTGRAPH_AUTH=off is refused in production mode (NODE_ENV=production). Configure an identity provider or API keys.',
    );
  const issuer = env.PLANTGRAPH_OIDC_ISSUER;
  if (issuer && !env.PLANTGRAPH_OIDC_AUDIENCE)
    throw new Error(
      'PLANTGRAPH_OIDC_AUDIENCE is required with PLANTGRAPH_OIDC_ISSUER: the audience your identity provider puts in tokens for this hub.',
    );
  const devIdentityProvider = devIdentityProviderFromEnv(env, production, authSetting === 'on', Boolean(issuer));
  const int = (name: string, fallback: number, min = 1) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < min)
      throw new Error(`${name} must be an integer of at least ${min}, got "${env[name]}".`);
    return value;
  };
  const demo = overrides.demo ?? (env.PLANTGRAPH_DEMO === '1' || env.PLANTGRAPH_DEMO === 'true');
  const flowsSetting = (env.PLANTGRAPH_FLOWS ?? 'on').toLowerCase();
  if (!['on', 'off'].includes(flowsSetting))
    throw new Error(`PLANTGRAPH_FLOWS must be "on" or "off", got "${env.PLANTGRAPH_FLOWS}".`);
  const plant = env.PLANTGRAPH_FLOWS_PLANT || (demo ? 'demo' : 'main');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(plant))
    throw new Error(`PLANTGRAPH_FLOWS_PLANT must be 1-64 letters, digits, "-" or "_", got "${plant}".`);
  const credentialSecret = env.PLANTGRAPH_FLOWS_CREDENTIAL_SECRET || undefined;
  if (production && flowsSetting === 'on' && !credentialSecret) {
    throw new Error(
      'PLANTGRAPH_FLOWS_CREDENTIAL_SECRET is required in production: it encrypts the credentials of the flows (keep it safe; without it they cannot be decrypted). Or set PLANTGRAPH_FLOWS=off.',
    );
  }
  const optimize = (env.PLANTGRAPH_EMBEDDED_OPTIMIZE ?? 'off').toLowerCase();
  if (!['on', 'off'].includes(optimize))
    throw new Error(`PLANTGRAPH_EMBEDDED_OPTIMIZE must be "on" or "off", got "${env.PLANTGRAPH_EMBEDDED_OPTIMIZE}".`);
  const hostAccess = (env.PLANTGRAPH_FLOWS_HOST_ACCESS ?? 'off').toLowerCase();
  if (!['on', 'off'].includes(hostAccess))
    throw new Error(
      `PLANTGRAPH_FLOWS_HOST_ACCESS must be "on" or "off", got "${env.PLANTGRAPH_FLOWS_HOST_ACCESS}" (on grants every flow editor shell access to the hub host).`,
    );
  const publicHttpPaths = (env.PLANTGRAPH_FLOWS_PUBLIC_HTTP ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const path of publicHttpPaths)
    if (!/^\/[^*\s]*(\/\*)?$/.test(path) || path === '/*')
      throw new Error(
        `PLANTGRAPH_FLOWS_PUBLIC_HTTP: "${path}" is not an endpoint path under /flows-http; write /status, or a prefix such as /andon/* (not /* alone).`,
      );
  const defaults = AUTH_DEFAULTS;
  const headersTimeout = int('PLANTGRAPH_HEADERS_TIMEOUT_MS', LIMIT_DEFAULTS.headersTimeoutMs, 100);
  const requestTimeout = int('PLANTGRAPH_REQUEST_TIMEOUT_MS', LIMIT_DEFAULTS.requestTimeoutMs, 100);
  if (requestTimeout < headersTimeout) {
    throw new Error(
      `PLANTGRAPH_REQUEST_TIMEOUT_MS (${requestTimeout}) must be at least PLANTGRAPH_HEADERS_TIMEOUT_MS ` +
        `(${headersTimeout}): the headers are part of the request.`,
    );
  }
  if (int('PLANTGRAPH_API_KEY_CACHE_MS', AUTH_DEFAULTS.apiKeyCacheMs, 0) > 60_000) {
    throw new Error('PLANTGRAPH_API_KEY_CACHE_MS must be at most 60000 (a revoked key works that long elsewhere).');
  }
  return {
    production,
    auth: {
      enabled: authSetting === 'on',
      failuresPerAddressPerMinute: int('PLANTGRAPH_AUTH_FAILURES_PER_MINUTE', defaults.failuresPerAddressPerMinute),
      failuresPerKeyPerMinute: int('PLANTGRAPH_AUTH_FAILURES_PER_KEY_PER_MINUTE', defaults.failuresPerKeyPerMinute),
      apiKeyCacheMs: int('PLANTGRAPH_API_KEY_CACHE_MS', defaults.apiKeyCacheMs, 0),
      devIdentityProvider,
      oidc: issuer
        ? {
            issuer,
            audience: env.PLANTGRAPH_OIDC_AUDIENCE!,
            jwksUrl: env.PLANTGRAPH_OIDC_JWKS_URL || undefined,
            rolesClaim: env.PLANTGRAPH_OIDC_ROLES_CLAIM || 'roles',
            scopesClaim: env.PLANTGRAPH_OIDC_SCOPES_CLAIM || 'plantgraph_scopes',
            clockSkewSeconds: int('PLANTGRAPH_OIDC_CLOCK_SKEW_SECONDS', 30, 0),
            consoleClientId: env.PLANTGRAPH_OIDC_CONSOLE_CLIENT_ID || undefined,
            consoleScopes: env.PLANTGRAPH_OIDC_CONSOLE_SCOPES || undefined,
          }
        : null,
    },
    limits: {
      maxDepth: int('PLANTGRAPH_MAX_DEPTH', 12),
      maxAliases: int('PLANTGRAPH_MAX_ALIASES', 30),
      maxTokens: int('PLANTGRAPH_MAX_TOKENS', 5000),
      maxCost: int('PLANTGRAPH_MAX_COST', 100_000),
      maxDirectives: int('PLANTGRAPH_MAX_DIRECTIVES', 20),
      ratePerSecond: int('PLANTGRAPH_RATE_LIMIT_PER_SECOND', 50),
      rateBurst: int('PLANTGRAPH_RATE_LIMIT_BURST', 200),
      maxSubscriptionsPerSocket: int('PLANTGRAPH_MAX_SUBSCRIPTIONS_PER_SOCKET', 50),
      maxSocketBufferBytes: int('PLANTGRAPH_MAX_SOCKET_BUFFER_BYTES', 4_000_000),
      maxQueuedEvents: int('PLANTGRAPH_MAX_QUEUED_EVENTS', 1000),
      safelistFile: env.PLANTGRAPH_OPERATION_SAFELIST || undefined,
      maxConnectionsPerAddress: int('PLANTGRAPH_MAX_CONNECTIONS_PER_ADDRESS', LIMIT_DEFAULTS.maxConnectionsPerAddress),
      headersTimeoutMs: headersTimeout,
      requestTimeoutMs: requestTimeout,
    },
    port,
    host: env.HOST ?? '127.0.0.1',
    trustedProxies: (env.PLANTGRAPH_TRUSTED_PROXIES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    metricsToken: env.PLANTGRAPH_METRICS_TOKEN || undefined,
    logFormat: logFormatFrom(env.PLANTGRAPH_LOG_FORMAT),
    tracing: tracingFromEnv(env),
    opcuaPort: opcuaPortFrom(env, int),
    databaseUrl: serviceUrl(env, 'DATABASE_URL'),
    dataDir: embeddedDataDir(env),
    natsUrl: serviceUrl(env, 'NATS_URL'),
    natsNamespace: env.PLANTGRAPH_NATS_NAMESPACE || 'pg',
    natsStartTimeoutMs: natsStartTimeoutMs(env),
    redisUrl: serviceUrl(env, 'REDIS_URL'),
    alertEscalateAfterSeconds: int('PLANTGRAPH_ALERT_ESCALATE_AFTER_SECONDS', 300),
    alertEscalationCheckMs: int('PLANTGRAPH_ALERT_ESCALATION_CHECK_MS', 5000, 50),
    equipmentConditionCheckMs: int('PLANTGRAPH_EQUIPMENT_CONDITION_CHECK_MS', 5000, 50),
    oeeUpdateIntervalMs: int('PLANTGRAPH_OEE_UPDATE_INTERVAL_MS', 5000, 100),
    eventRetentionHours: int('PLANTGRAPH_EVENT_RETENTION_HOURS', 24, 1),
    demo: env.PLANTGRAPH_DEMO === '1' || env.PLANTGRAPH_DEMO === 'true',
    logSql: env.PLANTGRAPH_LOG_SQL === '1',
    embeddedOptimize: optimize === 'on',
    flows: {
      enabled: flowsSetting === 'on',
      plant,
      credentialSecret,
      grants: parseGrants(env.PLANTGRAPH_FLOWS_GRANTS ?? 'engineer@*,gateway@*', 'PLANTGRAPH_FLOWS_GRANTS'),
      hostAccess: hostAccess === 'on',
      functionTimeoutSeconds: int('PLANTGRAPH_FLOWS_FUNCTION_TIMEOUT_SECONDS', 5),
      publicHttpPaths,
      process: flowsProcessSettings(int),
    },
    connectors: {
      secret: env.PLANTGRAPH_CONNECTOR_SECRET || undefined,
      relayIntervalMs: int('PLANTGRAPH_CONNECTOR_RELAY_INTERVAL_MS', 500, 50),
      healthIntervalMs: int('PLANTGRAPH_CONNECTOR_HEALTH_INTERVAL_MS', 60_000, 1000),
      sweepAfterMs: int('PLANTGRAPH_CONNECTOR_SWEEP_AFTER_MS', 30_000, 1000),
      jobLockMs: int('PLANTGRAPH_CONNECTOR_JOB_LOCK_MS', 30_000, 2000),
    },
    ...overrides,
  };
}

/**
 * The development identity provider's settings: on unless turned off, in production, with a real
 * provider, or without authentication (signatures need people, and people need authentication).
 */
function devIdentityProviderFromEnv(
  env: NodeJS.ProcessEnv,
  production: boolean,
  authOn: boolean,
  providerConfigured: boolean,
): AuthConfig['devIdentityProvider'] {
  const setting = (env.PLANTGRAPH_DEV_IDP ?? 'auto').toLowerCase();
  if (!['auto', 'on', 'off'].includes(setting))
    throw new Error(`PLANTGRAPH_DEV_IDP must be "on", "off" or "auto", got "${env.PLANTGRAPH_DEV_IDP}".`);
  const password = env.PLANTGRAPH_DEV_IDP_PASSWORD || undefined;
  if (password !== undefined && password.length < 8)
    throw new Error('PLANTGRAPH_DEV_IDP_PASSWORD must be at least 8 characters long.');
  const why = production
    ? 'in production mode (NODE_ENV=production or PLANTGRAPH_PRODUCTION=1)'
    : providerConfigured
      ? 'with an identity provider configured (PLANTGRAPH_OIDC_ISSUER)'
      : !authOn
        ? 'with authentication off (PLANTGRAPH_AUTH=off)'
        : null;
  if (setting === 'on' && why)
    throw new Error(
      `PLANTGRAPH_DEV_IDP=on is refused ${why}: the development identity provider is for development only.`,
    );
  if (setting === 'off' || why) return null;
  return { password };
}

function logFormatFrom(value: string | undefined): LogFormat | undefined {
  if (!value) return undefined;
  if (value === 'text' || value === 'json') return value;
  throw new Error(`PLANTGRAPH_LOG_FORMAT must be "text" or "json", not "${value}".`);
}

/** `PLANTGRAPH_OPCUA_PORT`: unset or empty, the OPC UA Job Control face is off. */
function opcuaPortFrom(env: NodeJS.ProcessEnv, int: (name: string, fallback: number, min?: number) => number) {
  if (!env.PLANTGRAPH_OPCUA_PORT) return null;
  const port = int('PLANTGRAPH_OPCUA_PORT', 4840, 0);
  if (port > 65535) throw new Error(`PLANTGRAPH_OPCUA_PORT must be a port number (0-65535), got "${port}".`);
  return port;
}
