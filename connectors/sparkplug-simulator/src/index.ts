// A Sparkplug B edge node as the specification (3.0) has it behave, speaking real MQTT to a real
// broker: a Last Will NDEATH with its bdSeq, NBIRTH then a DBIRTH per device (aliases, current values),
// DDATA by alias with `seq` counting 0-255 across the node, DDEATH and NDEATH, and new births when a
// host asks (NCMD `Node Control/Rebirth`). With a primary host it waits for that host's STATE online
// before it is born, and is born again after every reconnect. Faults on demand: a sequence gap, an
// alias no birth defined, an abrupt connection loss (the broker sends the Will).

import {
  DataType,
  loadCodec,
  NAMESPACE,
  REBIRTH_METRIC,
  type MetricValue,
  type PayloadCodec,
  type SparkplugMetric,
  type SparkplugPayload,
} from '@plantgraph/connector-sparkplug';
import { connect, type MqttClient } from 'mqtt';

export interface SimulatedMetric {
  name: string;
  datatype: number;
  value: MetricValue;
}

export interface EdgeNodeOptions {
  brokerUrl: string;
  group: string;
  node: string;
  /** Devices by id, each with its metrics (and their first values). */
  devices: Record<string, SimulatedMetric[]>;
  /** Metrics of the node itself (besides bdSeq and Node Control/Rebirth). */
  nodeMetrics?: SimulatedMetric[];
  /** Born only while this host application says it is online (spBv1.0/STATE/<id>). */
  primaryHostId?: string;
}

interface DeviceRuntime {
  metrics: Map<string, SimulatedMetric & { alias: number }>;
  dead: boolean;
}

export class SparkplugEdgeNode {
  /** Births published (NBIRTH count), rebirth requests answered. */
  readonly counts = { births: 0, rebirths: 0, published: 0 };
  #client: MqttClient | null = null;
  #codec: PayloadCodec | null = null;
  #seq = 0;
  #bdSeq = -1;
  #born = false;
  #skip = 0;
  readonly #devices = new Map<string, DeviceRuntime>();
  readonly #nodeMetrics: Map<string, SimulatedMetric & { alias: number }>;

  constructor(private readonly o: EdgeNodeOptions) {
    let alias = 1;
    this.#nodeMetrics = new Map((o.nodeMetrics ?? []).map((m) => [m.name, { ...m, alias: alias++ }]));
    for (const [id, metrics] of Object.entries(o.devices))
      this.#devices.set(id, { metrics: new Map(metrics.map((m) => [m.name, { ...m, alias: alias++ }])), dead: false });
  }

  /** Whether its births went out on the current connection (data is published only then). */
  get born(): boolean {
    return this.#born;
  }

  topic(kind: string, device?: string): string {
    return `${NAMESPACE}/${this.o.group}/${kind}/${this.o.node}${device ? `/${device}` : ''}`;
  }

  async start(): Promise<void> {
    this.#codec = await loadCodec();
    this.#bdSeq = (this.#bdSeq + 1) % 256;
    const client = connect(this.o.brokerUrl, {
      clientId: `edge-${this.o.group}-${this.o.node}`.slice(0, 64),
      clean: true,
      keepalive: 5,
      reconnectPeriod: 300,
      resubscribe: false,
      will: { topic: this.topic('NDEATH'), payload: this.#death(), qos: 1, retain: false },
    });
    this.#client = client;
    client.on('reconnect', () => {
      // Each connection has its own bdSeq, in its Will and its NBIRTH.
      this.#bdSeq = (this.#bdSeq + 1) % 256;
      client.options.will = { topic: this.topic('NDEATH'), payload: this.#death(), qos: 1, retain: false };
    });
    client.on('close', () => {
      this.#born = false;
    });
    client.on('connect', () => void this.#connected(client));
    client.on('message', (topic, payload) => this.#message(topic, payload));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
  }

  /** Sets metric values of a device; published as one DDATA while born (else kept for the next birth). */
  update(device: string, values: Record<string, MetricValue>): void {
    const d = this.#device(device);
    const changed: SparkplugMetric[] = [];
    const now = Date.now();
    for (const [name, value] of Object.entries(values)) {
      const m = d.metrics.get(name);
      if (!m) throw new Error(`device ${device} has no metric ${name}`);
      m.value = value;
      changed.push({ alias: m.alias, timestamp: now, datatype: m.datatype, value });
    }
    if (this.#born && !d.dead) this.#publish(this.topic('DDATA', device), { timestamp: now, metrics: changed });
  }

  /** The current value of a device's metric. */
  value(device: string, name: string): MetricValue {
    return this.#device(device).metrics.get(name)!.value;
  }

  /** The next message skips `n` sequence numbers (a lost message, as the host sees it). */
  skipSequence(n = 1): void {
    this.#skip += n;
  }

  /** Publishes a DDATA with an alias no birth defined. */
  unknownAlias(device: string): void {
    this.#publish(this.topic('DDATA', device), {
      timestamp: Date.now(),
      metrics: [{ alias: 9999, timestamp: Date.now(), datatype: DataType.Int32, value: 1 }],
    });
  }

  deviceDeath(device: string): void {
    this.#device(device).dead = true;
    this.#publish(this.topic('DDEATH', device), { timestamp: Date.now(), metrics: [] });
  }

  /** A device back: its DBIRTH with the current values. */
  deviceBirth(device: string): void {
    this.#device(device).dead = false;
    if (this.#born) this.#deviceBirth(device);
  }

  /** Gone without a goodbye (power cut): the broker publishes the Will NDEATH. */
  async crash(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    this.#born = false;
    client?.stream.destroy();
    await client?.endAsync(true);
  }

  /** A clean stop: NDEATH first, as the specification asks of a node that disconnects on purpose. */
  async stop(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    if (client?.connected)
      await client.publishAsync(this.topic('NDEATH'), Buffer.from(this.#encode(this.#deathPayload())));
    await client?.endAsync();
  }

  async #connected(client: MqttClient): Promise<void> {
    this.#born = false;
    const topics = [this.topic('NCMD'), `${NAMESPACE}/${this.o.group}/DCMD/${this.o.node}/#`];
    if (this.o.primaryHostId) topics.push(`${NAMESPACE}/STATE/${this.o.primaryHostId}`);
    await client.subscribeAsync(topics, { qos: 1 });
    if (!this.o.primaryHostId) this.#births();
  }

  #message(topic: string, payload: Buffer): void {
    if (topic.startsWith(`${NAMESPACE}/STATE/`)) {
      const state = JSON.parse(payload.toString('utf8')) as { online?: boolean };
      if (state.online && !this.#born) this.#births();
      return;
    }
    if (topic !== this.topic('NCMD')) return;
    const command = this.#codec!.decode(payload);
    if (command.metrics.some((m) => m.name === REBIRTH_METRIC && m.value === true)) {
      this.counts.rebirths++;
      this.#births();
    }
  }

  #births(): void {
    this.#seq = 0;
    this.#skip = 0;
    const metrics: SparkplugMetric[] = [
      { name: 'bdSeq', datatype: DataType.UInt64, value: this.#bdSeq },
      { name: REBIRTH_METRIC, datatype: DataType.Boolean, value: false },
      ...[...this.#nodeMetrics.values()].map(birthMetric),
    ];
    this.#publish(this.topic('NBIRTH'), { timestamp: Date.now(), metrics }, true);
    this.#born = true;
    this.counts.births++;
    for (const [id, d] of this.#devices) if (!d.dead) this.#deviceBirth(id);
  }

  #deviceBirth(id: string): void {
    const metrics = [...this.#device(id).metrics.values()].map(birthMetric);
    this.#publish(this.topic('DBIRTH', id), { timestamp: Date.now(), metrics });
  }

  #publish(topic: string, payload: Omit<SparkplugPayload, 'seq'>, birth = false): void {
    if (!this.#client) return;
    if (!birth) this.#seq = (this.#seq + 1 + this.#skip) % 256;
    this.#skip = 0;
    this.counts.published++;
    this.#client.publish(topic, Buffer.from(this.#encode({ ...payload, seq: this.#seq })), { qos: 0 });
  }

  #deathPayload(): SparkplugPayload {
    return { timestamp: Date.now(), metrics: [{ name: 'bdSeq', datatype: DataType.UInt64, value: this.#bdSeq }] };
  }

  #death(): Buffer {
    return Buffer.from(this.#encode(this.#deathPayload()));
  }

  #encode(payload: SparkplugPayload): Uint8Array {
    return this.#codec!.encode(payload);
  }

  #device(id: string): DeviceRuntime {
    const d = this.#devices.get(id);
    if (!d) throw new Error(`no device ${id} on ${this.o.node}`);
    return d;
  }
}

const birthMetric = (m: SimulatedMetric & { alias: number }): SparkplugMetric => ({
  name: m.name,
  alias: m.alias,
  timestamp: Date.now(),
  datatype: m.datatype,
  value: m.value,
});
