import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { redactUrl, serviceUrl } from '../../service-urls.js';

/**
 * How long the server at NATS_URL has to answer as NATS, and then to answer for JetStream. The
 * client's own default is 20 s, after which a NATS_URL pointing at another service (say Redis)
 * said only "timeout"; a start with a wrong NATS_URL now ends within seconds.
 */
const ANSWER_MS = 1500;

/** Connects to NATS and checks that JetStream is on; failures name NATS_URL and what to check. */
export async function connectToNats(
  servers: string,
  name: string,
): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const where = `NATS at ${redactUrl(servers)} (NATS_URL)`;
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: servers.split(','), name, maxReconnectAttempts: -1, timeout: ANSWER_MS });
  } catch (err) {
    const reason = (err as Error).message;
    throw new Error(
      /timeout/i.test(reason)
        ? `${where} did not answer as a NATS server within ${ANSWER_MS / 1000} s. Is NATS_URL the address of nats-server (port 4222 by default), not of another service?`
        : `Cannot connect to ${where}: ${reason}. Is nats-server running there, with JetStream (nats-server -js)?`,
      { cause: err },
    );
  }
  try {
    return { nc, jsm: await jetstreamManager(nc, { timeout: ANSWER_MS }) };
  } catch (err) {
    await nc.close().catch(() => {});
    throw new Error(
      `${where} answers, but not for JetStream (${(err as Error).message}). The hub keeps signals and events in JetStream streams: start nats-server with JetStream enabled (-js, or "jetstream {}" in its configuration).`,
      { cause: err },
    );
  }
}

/**
 * Checks NATS_URL (its form, then the server: NATS with JetStream) and disconnects; the CLI runs it
 * before loading the hub, which alone takes seconds on a busy machine.
 */
export async function checkNatsSetting(env: NodeJS.ProcessEnv): Promise<void> {
  const servers = serviceUrl(env, 'NATS_URL');
  if (servers) await (await connectToNats(servers, 'plantgraph-check')).nc.close();
}
