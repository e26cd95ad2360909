import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NATS_START_TIMEOUT_MS, natsStartTimeoutMs, redactUrl, serviceUrl } from '../../service-urls.js';
import { type Greeting, greetingOf } from './nats-greeting.js';

/** The first JetStream check's own bound; each retry waits twice as long, within the start's bound. */
const FIRST_JETSTREAM_TRY_MS = 2000;
const SETTING = 'PLANTGRAPH_NATS_START_TIMEOUT_MS';

/** Connects to NATS and checks that JetStream is on; failures name NATS_URL and what to check. */
export async function connectToNats(
  servers: string,
  name: string,
  startTimeoutMs = NATS_START_TIMEOUT_MS,
): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const where = `NATS at ${redactUrl(servers)} (NATS_URL)`;
  const deadline = Date.now() + startTimeoutMs;
  const nc = await connectWithin(servers, name, startTimeoutMs, where);
  try {
    return { nc, jsm: await jetStreamWithin(nc, deadline) };
  } catch (err) {
    await nc.close().catch(() => {});
    throw new Error(
      isTimeout(err)
        ? `${where} answers as NATS, but not for JetStream within ${seconds(startTimeoutMs)} (${SETTING}). ` +
            'Is the server overloaded, or JetStream still starting?'
        : `${where} answers, but not for JetStream (${(err as Error).message}). The hub keeps signals and events ` +
            'in JetStream streams: start nats-server with JetStream enabled (-js, or "jetstream {}" in its configuration).',
      { cause: err },
    );
  }
}

/**
 * The hub's second connection, for its events (ADR 0063): with `noEcho` the server does not deliver
 * what this connection publishes to this connection's own subscriptions, so the event feed is not
 * sent back, nor parses, the events its relay has already handed it in process. Opened after
 * `connectToNats` succeeded, so the server is known to answer.
 */
export function connectWithoutEcho(servers: string, name: string, startTimeoutMs = NATS_START_TIMEOUT_MS) {
  return connect({
    servers: servers.split(','),
    name,
    maxReconnectAttempts: -1,
    timeout: startTimeoutMs,
    noEcho: true,
  });
}

/**
 * One connection attempt, waited for up to the whole bound (a server that accepted the connection
 * but is slow to greet gains nothing from a new one), beside a look at what the server says first:
 * an answer that is not NATS ends the wait at once.
 */
async function connectWithin(servers: string, name: string, withinMs: number, where: string) {
  const list = servers.split(',');
  const connecting = connect({ servers: list, name, maxReconnectAttempts: -1, timeout: withinMs });
  const notNats = otherServiceAt(list, withinMs);
  const first = await Promise.race([
    connecting.then(
      (nc) => ({ nc }),
      (err: Error) => ({ err }),
    ),
    notNats.then((said) => (said === null ? new Promise<never>(() => {}) : { said })),
  ]);
  if ('nc' in first) return first.nc;
  const hint = `Is NATS_URL the address of nats-server (port 4222 by default), not of another service?`;
  if ('said' in first) {
    // Not left connecting in the background: closed whenever it gives up or connects after all.
    connecting.then((nc) => nc.close()).catch(() => {});
    throw new Error(`${where} answered, but not as a NATS server (it said "${first.said}"). ${hint}`);
  }
  const reason = first.err.message;
  throw new Error(
    /timeout/i.test(reason)
      ? `${where} did not answer as a NATS server within ${seconds(withinMs)} (${SETTING}). ${hint}`
      : `Cannot connect to ${where}: ${reason}. Is nats-server running there, with JetStream (nats-server -js)?`,
    { cause: first.err },
  );
}

/** The first line another service answered with when every `nats://` server of the list is one; else null. */
async function otherServiceAt(servers: string[], withinMs: number): Promise<string | null> {
  const greetings: Greeting[] = await Promise.all(servers.map((s) => greetingOf(s, withinMs)));
  return greetings.every((g) => g.kind === 'other') ? (greetings[0] as { said: string }).said : null;
}

/**
 * JetStream's account info, asked again with a doubled bound while the start's bound lasts: on a
 * busy server the first request may go unanswered. A clear answer (JetStream off) ends it at once.
 */
async function jetStreamWithin(nc: NatsConnection, deadline: number): Promise<JetStreamManager> {
  for (let tryMs = FIRST_JETSTREAM_TRY_MS; ; tryMs *= 2) {
    const timeout = Math.min(tryMs, deadline - Date.now());
    try {
      return await jetstreamManager(nc, { timeout: Math.max(timeout, 1) });
    } catch (err) {
      if (!isTimeout(err) || deadline - Date.now() < 100) throw err;
    }
  }
}

function isTimeout(err: unknown): boolean {
  for (let e = err as { name?: string; message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    if (e.name === 'TimeoutError' || /timeout/i.test(e.message ?? '')) return true;
  return false;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/**
 * Checks NATS_URL (its form, then the server: NATS with JetStream) and disconnects; the CLI runs it
 * before loading the hub, which alone takes seconds on a busy machine.
 */
export async function checkNatsSetting(env: NodeJS.ProcessEnv): Promise<void> {
  const servers = serviceUrl(env, 'NATS_URL');
  if (servers) await (await connectToNats(servers, 'plantgraph-check', natsStartTimeoutMs(env))).nc.close();
}
