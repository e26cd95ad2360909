import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient, type Client } from 'graphql-ws';
import {
  configFromEnv,
  migrate,
  openDatabase,
  startHub,
  type HubConfig,
  type HubOptions,
  type RunningHub,
} from '@plantgraph/hub';
import { demoConfigFromEnv, demoExtension } from '@plantgraph/demo';

/**
 * The hub's default limits with a test's own changes. The default rate (50/s) is too low for a
 * suite that fires many operations, so tests start from 1000/s.
 */
export function testLimits(overrides: Partial<HubConfig['limits']> = {}): HubConfig['limits'] {
  return { ...configFromEnv({}).limits, ratePerSecond: 1000, rateBurst: 1000, ...overrides };
}

/** The real services on this machine (CI exports the same defaults). */
export const TEST_DATABASE_URL =
  process.env.PLANTGRAPH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_NATS_URL = process.env.PLANTGRAPH_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export type Mode = 'embedded' | 'postgres+nats';
export const MODES: Mode[] = ['embedded', 'postgres+nats'];

export const uniqueName = (prefix: string) => `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

/** A fresh PostgreSQL database with the hub's migrations applied (unless `migrated: false`); drop it when done. */
export async function createTestDatabase({ migrated = true } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueName('plantgraph_t_');
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  if (migrated) {
    const db = await openDatabase({ databaseUrl: url.toString(), dataDir: '', logSql: false });
    await migrate(db);
    await db.close();
  }
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface TestHub extends RunningHub {
  mode: Mode;
  /** Settings another replica needs to join this installation. */
  shared: Partial<HubConfig>;
  /** Runs an operation as the hub's local admin. */
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** Hub settings, and with `demo: true` the demo's (the simulator idles unless a test asks). */
export type TestHubSettings = Partial<Omit<HubConfig, 'connectors'>> & {
  /** Merged with the defaults. */
  connectors?: Partial<HubConfig['connectors']>;
  simulatorIntervalMs?: number;
  demoMqttUrl?: string;
  /** Without `demoMqttUrl`: the port of the broker embedded for the demo (1884 unless given). */
  demoMqttPort?: number;
  /** Connector types the hub runs (e.g. the SAP connector's definition). */
  connectorTypes?: HubOptions['connectors'];
  /** With `demo: true`: the demo ERP's poll period (the SAP simulator and connector); off unless given. */
  demoErpPollMs?: number;
  /** With `demo: true` and the simulator on: the port of the demo's OPC UA machines (0: a free one); off unless given. */
  demoOpcuaPort?: number;
};

/**
 * Starts a hub on a random port, embedded or on the real PostgreSQL and NATS, isolated from other
 * tests; with `demo: true` it runs the demo extension, as `plantgraph start --demo` does.
 */
export async function startTestHub(mode: Mode, settings: TestHubSettings = {}): Promise<TestHub> {
  const {
    simulatorIntervalMs = 60_000,
    demoMqttUrl,
    demoMqttPort,
    connectorTypes,
    demoErpPollMs = 0,
    demoOpcuaPort,
    ...settingsRest
  } = settings;
  const overrides: Partial<HubConfig> = {
    ...settingsRest,
    connectors: { ...configFromEnv({}).connectors, ...settingsRest.connectors },
  };
  const database = mode === 'postgres+nats' && !overrides.databaseUrl ? await createTestDatabase() : null;
  const shared: Partial<HubConfig> =
    mode === 'postgres+nats'
      ? {
          databaseUrl: overrides.databaseUrl ?? database!.url,
          natsUrl: TEST_NATS_URL,
          natsNamespace: overrides.natsNamespace ?? uniqueName('t'),
        }
      : {};
  // Each hub with flows starts two more Node processes (the flows child and its spare): off unless a test asks.
  const config = configFromEnv(
    { PLANTGRAPH_FLOWS: 'off' },
    { port: 0, dataDir: 'memory://', demo: false, ...shared, ...overrides },
  );
  const demo = config.demo
    ? demoExtension(
        demoConfigFromEnv(
          {},
          {
            simulatorIntervalMs,
            mqttUrl: demoMqttUrl,
            ...(demoMqttPort === undefined ? {} : { mqttPort: demoMqttPort }),
            erpPollIntervalMs: demoErpPollMs,
            opcuaPort: demoOpcuaPort ?? null,
          },
        ),
      )
    : null;
  const hub = await startHub(
    config,
    // Looked up at each call, so that a test may watch them (vi.spyOn).
    { log: () => {}, warn: (...a: unknown[]) => console.warn(...a), error: (...a: unknown[]) => console.error(...a) },
    { extensions: demo ? [demo] : [], connectors: connectorTypes },
  );
  // The hub answers before Node-RED has started; tests with flows want them running.
  await hub.flowsStarted;
  if (hub.flows?.status.status === 'failed') {
    await hub.close();
    throw new Error(`the flows did not start: ${hub.flows.status.error}`);
  }
  return Object.assign(hub, {
    mode,
    shared,
    gql: <T>(query: string, variables?: Record<string, unknown>) =>
      graphql<T>(hub.url, query, variables, hub.localAdminToken!),
    stop: async () => {
      await hub.close();
      await database?.drop();
      if (shared.natsNamespace && !overrides.natsNamespace) await deleteNatsNamespace(shared.natsNamespace);
    },
  });
}

/**
 * `fetch`, sent again once when the kept-alive connection it reused was already closed by the hub. An embedded
 * hub runs PGlite in the test's own process: a long synchronous statement holds back the client's idle-socket
 * timer and the server's alike, and when they run the server may close the socket the client is just reusing
 * (ECONNRESET before any byte of an answer; the hub never read the request).
 */
async function postOnce(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET') throw error;
    return fetch(url, init);
  }
}

/** POSTs one operation; fails the test on GraphQL errors so they are never silently ignored. */
export async function graphql<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> | undefined,
  token: string,
): Promise<T> {
  const res = await postOnce(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`GraphQL errors: ${body.errors.map((e) => e.message).join('; ')}`);
  return body.data as T;
}

/** The raw response, for tests about errors. */
export async function graphqlRaw(url: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await postOnce(`${url}/graphql`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** A graphql-ws subscription whose events can be awaited one by one. */
export async function subscribe(
  url: string,
  query: string,
  variables: Record<string, unknown> | undefined,
  token: string | null,
) {
  let closed: { code: number; reason: string } | null = null;
  const client: Client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: {
      closed: (e) => {
        const ev = e as { code: number; reason: string };
        closed = { code: ev.code, reason: ev.reason };
        wake?.();
      },
    },
  });
  const received: any[] = [];
  const errors: unknown[] = [];
  let wake: (() => void) | null = null;
  let subscribed!: () => void;
  const ready = new Promise<void>((r) => (subscribed = r));
  client.on('connected', () => subscribed());
  const unsubscribe = client.subscribe(
    { query, variables },
    {
      next: (v) => {
        received.push(v);
        wake?.();
      },
      error: (e) => {
        errors.push(e);
        wake?.();
      },
      complete: () => wake?.(),
    },
  );
  await Promise.race([ready, new Promise((r) => setTimeout(r, 3000))]);
  // Give the server a moment to open the bus subscription behind the operation.
  await new Promise((r) => setTimeout(r, 300));
  return {
    received,
    errors,
    /** How the server closed the socket, if it did. */
    closed: () => closed as { code: number; reason: string } | null,
    /** Waits until `predicate` holds for some received event; returns it. */
    async waitFor(predicate: (e: any) => boolean, timeoutMs = 10_000): Promise<any> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find(predicate);
        if (hit) return hit;
        const failed = received.find((e) => e.errors);
        if (errors.length || failed)
          throw new Error(`subscription failed: ${JSON.stringify(errors.length ? errors : failed.errors)}`);
        if (closed) throw new Error(`socket closed: ${JSON.stringify(closed)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(received)}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, Math.min(left, 200));
        });
      }
    },
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Removes the JetStream streams a test namespace created, so test runs leave NATS as they found it. */
export async function deleteNatsNamespace(namespace: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const { Subjects } = await import('@plantgraph/hub');
  const nc = await connect({ servers: TEST_NATS_URL });
  const jsm = await jetstreamManager(nc);
  const subjects = new Subjects(namespace);
  for (const stream of [subjects.signalStream.name, subjects.eventStream.name])
    await jsm.streams.delete(stream).catch(() => false);
  await nc.close();
}
