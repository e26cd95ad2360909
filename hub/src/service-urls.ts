/**
 * The URLs of the services the hub connects to, checked as the settings are read, so a mistyped
 * one is reported by its setting's name with an example of a right value, before anything connects.
 */
const SERVICES = {
  DATABASE_URL: {
    service: 'PostgreSQL',
    protocols: ['postgres:', 'postgresql:'],
    example: 'postgres://user:password@db-host:5432/plantgraph',
    otherwise: 'unset it to run the embedded database (PGlite)',
  },
  NATS_URL: {
    service: 'NATS',
    protocols: ['nats:', 'tls:'],
    example: 'nats://nats-host:4222 (several servers separated by commas)',
    otherwise: 'unset it to run the in-process bus',
  },
  REDIS_URL: {
    service: 'Redis',
    protocols: ['redis:', 'rediss:'],
    example: 'redis://redis-host:6379',
    otherwise: "unset it to keep the connectors' jobs in the database",
  },
} as const;

export type ServiceSetting = keyof typeof SERVICES;

/** The setting's value when it names the right kind of service; unset or empty is `undefined`. */
export function serviceUrl(env: NodeJS.ProcessEnv, setting: ServiceSetting): string | undefined {
  const value = env[setting]?.trim();
  if (!value) return undefined;
  const { service, protocols, example, otherwise } = SERVICES[setting];
  // NATS takes a list of servers; each must be a URL of its own.
  for (const entry of setting === 'NATS_URL' ? value.split(',') : [value]) {
    const problem = urlProblem(entry.trim(), protocols);
    if (problem)
      throw new Error(
        `${setting}: "${redactUrl(entry.trim())}" ${problem}. Write the ${service} URL like ${example}, or ${otherwise}.`,
      );
  }
  return value;
}

function urlProblem(text: string, protocols: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (!protocols.includes(url.protocol))
    return `starts with "${url.protocol}//", where ${protocols.map((p) => `"${p}//"`).join(' or ')} is expected`;
  if (!url.hostname) return 'names no host';
  return null;
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/**
 * How long NATS has at start to answer as NATS and then for JetStream (ADR 0057). It was 1.5 s, and
 * on a machine at load 10-15 a healthy NATS (or the hub's own busy process) missed it and the hub
 * did not start. A server that answers as something else (say Redis) is still told within a second
 * (`greetingOf`), a closed port at once, and JetStream turned off at its first answer.
 */
export const NATS_START_TIMEOUT_MS = 20_000;

/** `PLANTGRAPH_NATS_START_TIMEOUT_MS`, read apart from the hub's settings: the CLI checks NATS before loading them. */
export function natsStartTimeoutMs(env: NodeJS.ProcessEnv): number {
  const text = env.PLANTGRAPH_NATS_START_TIMEOUT_MS?.trim();
  if (!text) return NATS_START_TIMEOUT_MS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1000)
    throw new Error(
      `PLANTGRAPH_NATS_START_TIMEOUT_MS must be a whole number of milliseconds, at least 1000, got "${text}".`,
    );
  return value;
}
