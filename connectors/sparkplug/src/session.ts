// One MQTT session of the host application: connects (mqtt and protobufjs are loaded here, on the
// first open, so a hub without a Sparkplug instance never loads them), declares itself the primary
// host (STATE, with a Last Will saying offline), subscribes to the mapped groups (and UMH locations),
// and hands every message to the host and the signals it makes to the batcher. mqtt.js reconnects by
// itself; `lost` is called only when it has not managed to for `giveUpAfterMs`, or the broker refuses
// the host's credentials.

import type { ConnectorLog } from '@plantgraph/connector-sdk';
import type { IClientOptions, MqttClient } from 'mqtt';
import { loadCodec, type PayloadCodec } from './codec.js';
import { NAMESPACE, type SparkplugHost } from './host.js';
import type { SparkplugMapping } from './mapping.js';
import type { SignalBatcher } from './batcher.js';
import type { SignalInput } from './signals.js';
import { umhMessage, umhSubscription } from './umh.js';
import type { SignalMapper } from './signals.js';

export interface SessionSettings {
  brokerUrl: string;
  username?: string;
  password?: string;
  hostId: string;
  clientId: string;
  umh: boolean;
  giveUpAfterMs: number;
  connectTimeoutMs: number;
}

/** What the health check reads. */
export interface SessionStatus {
  connected: boolean;
  /** Since when it is not connected (null while connected). */
  disconnectedSince: number | null;
  lastConnectError: string | null;
  reconnects: number;
}

/** MQTT CONNACK codes that no reconnect can fix (identifier, credentials, authorisation). */
const REFUSALS = new Set([2, 4, 5, 0x85, 0x86, 0x87, 0x8c]);

export class HostSession {
  readonly status: SessionStatus = { connected: false, disconnectedSince: null, lastConnectError: null, reconnects: 0 };
  #client: MqttClient | null = null;
  #codec: PayloadCodec | null = null;
  #watch: NodeJS.Timeout | null = null;
  /** The STATE timestamp of this connection, also in its Last Will (the specification ties them). */
  #stateTimestamp = 0;
  /** Set once the first connection is up: from then on, trouble is reported through `lost`. */
  #lost: ((error: Error) => void) | null = null;

  constructor(
    private readonly settings: SessionSettings,
    private readonly mapping: SparkplugMapping,
    private readonly host: SparkplugHost,
    private readonly mapper: SignalMapper,
    private readonly batcher: SignalBatcher,
    private readonly log: ConnectorLog,
  ) {}

  get stateTopic(): string {
    return `${NAMESPACE}/STATE/${this.settings.hostId}`;
  }

  /** Connects; rejects when the first connection fails (the connector host tries again later). */
  async open(lost: (error: Error) => void): Promise<void> {
    const [{ connect }, codec] = await Promise.all([import('mqtt'), loadCodec()]);
    this.#codec = codec;
    const s = this.settings;
    this.#stateTimestamp = Date.now();
    const options: IClientOptions = {
      clientId: s.clientId,
      username: s.username,
      password: s.password,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 1000,
      connectTimeout: s.connectTimeoutMs,
      resubscribe: false, // subscribed again on each connect, after the STATE
      will: { topic: this.stateTopic, payload: this.#state(false), qos: 1, retain: true },
    };
    const client = connect(s.brokerUrl, options);
    this.#client = client;
    client.on('message', (topic, payload) => this.#message(topic, payload));
    client.on('connect', () => void this.#connected(client));
    client.on('reconnect', () => {
      // A new connection, a new STATE timestamp; the Will is sent with the CONNECT, so it changes first.
      this.#stateTimestamp = Date.now();
      options.will!.payload = this.#state(false);
      client.options.will = options.will;
    });
    client.on('close', () => {
      if (this.status.connected && this.#client)
        this.log.warn(`[sparkplug] connection to ${s.brokerUrl} closed; reconnecting`);
      this.status.connected = false;
      this.status.disconnectedSince ??= Date.now();
    });
    client.on('error', (err) => {
      this.status.lastConnectError = err.message;
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number' && REFUSALS.has(code)) this.#giveUp(err);
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        cleanup();
        client.end(true);
        reject(new Error(`cannot connect to ${s.brokerUrl}: ${err.message}`));
      };
      const timer = setTimeout(() => fail(new Error(`no answer in ${s.connectTimeoutMs} ms`)), s.connectTimeoutMs);
      const ok = () => {
        cleanup();
        resolve();
      };
      const cleanup = () => {
        clearTimeout(timer);
        client.off('connect', ok);
        client.off('error', fail);
      };
      client.once('connect', ok);
      client.once('error', fail);
    });
    this.#lost = lost;
    this.#watch = setInterval(() => {
      const since = this.status.disconnectedSince;
      if (since !== null && Date.now() - since >= s.giveUpAfterMs) {
        const why = this.status.lastConnectError ?? 'no answer';
        this.#giveUp(
          new Error(`no connection to ${s.brokerUrl} for ${Math.round((Date.now() - since) / 1000)} s (${why})`),
        );
      }
    }, 1000);
  }

  /** Once: the connector host closes this session and opens a new one after a pause. */
  #giveUp(error: Error): void {
    const lost = this.#lost;
    this.#lost = null;
    if (this.#watch) clearInterval(this.#watch);
    lost?.(error);
  }

  /** Says offline (retained, as the Will would), then disconnects. */
  async close(): Promise<void> {
    if (this.#watch) clearInterval(this.#watch);
    const client = this.#client;
    this.#client = null;
    if (!client) return;
    if (client.connected) {
      await Promise.race([
        client.publishAsync(this.stateTopic, this.#state(false), { qos: 1, retain: true }).catch(() => {}),
        new Promise((r) => setTimeout(r, 2000)),
      ]);
    }
    await client.endAsync(!client.connected).catch(() => client.end(true));
  }

  /** A QoS 1 round trip (the host's STATE again): the health check's real call to the broker. */
  async ping(): Promise<number> {
    const client = this.#client;
    if (!client?.connected) throw new Error(`not connected to ${this.settings.brokerUrl}`);
    const started = performance.now();
    await client.publishAsync(this.stateTopic, this.#state(true), { qos: 1, retain: true });
    return Math.round(performance.now() - started);
  }

  publishCommand(topic: string, payload: Parameters<PayloadCodec['encode']>[0]): void {
    if (!this.#client || !this.#codec) return;
    this.#client.publish(topic, Buffer.from(this.#codec.encode(payload)), { qos: 0 }, (err) => {
      if (err) this.log.warn(`[sparkplug] ${topic} not sent: ${err.message}`);
    });
  }

  async #connected(client: MqttClient): Promise<void> {
    const first = this.status.disconnectedSince === null && this.status.reconnects === 0 && !this.status.connected;
    if (!first) this.status.reconnects++;
    this.status.connected = true;
    this.status.disconnectedSince = null;
    this.status.lastConnectError = null;
    if (!first) this.log.log(`[sparkplug] connected again to ${this.settings.brokerUrl}`);
    const topics = [...new Set(Object.keys(this.mapping.devices).map((id) => `${NAMESPACE}/${id.split('/')[0]}/#`))];
    if (this.settings.umh) topics.push(...Object.keys(this.mapping.umh).map(umhSubscription));
    try {
      // Subscribed before saying online: edge nodes waiting for this host are born as soon as it is.
      await client.subscribeAsync([this.stateTopic, ...topics], { qos: 1 });
      await client.publishAsync(this.stateTopic, this.#state(true), { qos: 1, retain: true });
    } catch (err) {
      this.status.lastConnectError = `subscribing failed: ${(err as Error).message}`;
      this.log.warn(`[sparkplug] ${this.status.lastConnectError}`);
    }
  }

  #message(topic: string, payload: Buffer): void {
    const out: SignalInput[] = [];
    try {
      if (topic === this.stateTopic) {
        this.#stateSeen(payload);
        return;
      }
      if (topic.startsWith('umh/')) {
        if (this.settings.umh) umhMessage(topic, payload, this.mapping, this.mapper, this.host.stats, out);
      } else {
        this.host.handle(topic, this.#codec!.decode(payload), out);
      }
    } catch (err) {
      this.host.stats.malformed++;
      this.host.stats.lastProblem = `${topic}: cannot read the payload (${(err as Error).message})`;
    }
    this.batcher.push(out);
  }

  /** Someone said this host is offline (a late Will of an earlier session): say online again. */
  #stateSeen(payload: Buffer): void {
    let state: { online?: unknown } = {};
    try {
      state = JSON.parse(payload.toString('utf8')) as { online?: unknown };
    } catch {}
    if (state.online === false && this.#client?.connected)
      this.#client.publish(this.stateTopic, this.#state(true), { qos: 1, retain: true });
  }

  #state(online: boolean): Buffer {
    return Buffer.from(JSON.stringify({ online, timestamp: this.#stateTimestamp }));
  }
}
