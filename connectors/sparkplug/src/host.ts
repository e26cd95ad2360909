// The Sparkplug B host application's view of its edge nodes (specification 3.0): births define the
// metrics and their aliases, data updates them, deaths end them. Every message of a node after its
// NBIRTH carries `seq`, one more (mod 256) than the last; a gap, data from a node or device not born
// (e.g. born before this host subscribed) or an alias no birth defined means the host's picture may
// be wrong, and the host asks the node to be born again (NCMD `Node Control/Rebirth`). Free of MQTT:
// the stream hands it each message and sends what it asks to send.

import { DataType, type SparkplugMetric, type SparkplugPayload } from './codec.js';
import type { EquipmentMapping, SparkplugMapping } from './mapping.js';
import type { SignalInput, SignalMapper } from './signals.js';

export const NAMESPACE = 'spBv1.0';
export const REBIRTH_METRIC = 'Node Control/Rebirth';

interface DeviceState {
  aliases: Map<number, string>;
}

interface NodeState {
  online: boolean;
  /** The bdSeq of the NBIRTH: an NDEATH with another belongs to an earlier session. */
  bdSeq: number | null;
  /** The seq the next message must carry. */
  nextSeq: number;
  aliases: Map<number, string>;
  devices: Map<string, DeviceState>;
  lastRebirthAt: number;
}

export interface HostStats {
  messages: number;
  lastMessageAt: number | null;
  nodesOnline: number;
  rebirthRequests: number;
  sequenceGaps: number;
  unknownAliases: number;
  /** Data from a node or device without a birth seen. */
  unborn: number;
  malformed: number;
  lastProblem: string | null;
}

export interface HostOptions {
  mapping: SparkplugMapping;
  mapper: SignalMapper;
  /** Sends an NCMD (topic, payload); the stream encodes and publishes it. */
  command(topic: string, payload: SparkplugPayload): void;
  /** At most one rebirth request per node in this time. */
  rebirthIntervalMs: number;
  now?: () => number;
}

type Kind = 'NBIRTH' | 'NDATA' | 'NDEATH' | 'DBIRTH' | 'DDATA' | 'DDEATH';
const KINDS = new Set<string>(['NBIRTH', 'NDATA', 'NDEATH', 'DBIRTH', 'DDATA', 'DDEATH']);

/** `spBv1.0/<group>/<kind>/<edge node>[/<device>]`, or null for what the host does not read. */
export function parseTopic(topic: string): { group: string; kind: Kind; node: string; device?: string } | null {
  const parts = topic.split('/');
  if (parts[0] !== NAMESPACE || parts.length < 4 || parts.length > 5 || !KINDS.has(parts[2]!)) return null;
  const kind = parts[2] as Kind;
  if ((kind[0] === 'D') !== (parts.length === 5)) return null;
  return { group: parts[1]!, kind, node: parts[3]!, device: parts[4] };
}

export class SparkplugHost {
  readonly stats: HostStats = {
    messages: 0,
    lastMessageAt: null,
    nodesOnline: 0,
    rebirthRequests: 0,
    sequenceGaps: 0,
    unknownAliases: 0,
    unborn: 0,
    malformed: 0,
    lastProblem: null,
  };
  readonly #nodes = new Map<string, NodeState>();
  readonly #now: () => number;

  constructor(private readonly o: HostOptions) {
    this.#now = o.now ?? Date.now;
  }

  /** One message from the broker; the signals it makes are appended to `out`. */
  handle(topic: string, payload: SparkplugPayload, out: SignalInput[]): void {
    const t = parseTopic(topic);
    if (!t) return;
    this.stats.messages++;
    this.stats.lastMessageAt = this.#now();
    const nodeId = `${t.group}/${t.node}`;
    let node = this.#nodes.get(nodeId);
    if (t.kind === 'NBIRTH') {
      node = this.#born(nodeId, node, payload);
      this.#values(nodeId, node.aliases, payload, true, out);
      return;
    }
    if (t.kind === 'NDEATH') {
      this.#nodeDied(nodeId, node, payload, out);
      return;
    }
    if (!node?.online) {
      this.stats.unborn++;
      this.#rebirth(t.group, t.node, `${t.kind} from ${nodeId} before its NBIRTH`);
      return;
    }
    this.#checkSeq(t.group, t.node, node, payload);
    if (t.kind === 'NDATA') {
      this.#values(nodeId, node.aliases, payload, false, out);
      return;
    }
    const deviceId = `${nodeId}/${t.device}`;
    if (t.kind === 'DBIRTH') {
      const device: DeviceState = { aliases: aliasesOf(payload) };
      node.devices.set(t.device!, device);
      this.#values(deviceId, device.aliases, payload, true, out);
      return;
    }
    const device = node.devices.get(t.device!);
    if (t.kind === 'DDEATH') {
      node.devices.delete(t.device!);
      this.#offline(deviceId, payload.timestamp, out);
      return;
    }
    if (!device) {
      this.stats.unborn++;
      this.#rebirth(t.group, t.node, `DDATA from ${deviceId} before its DBIRTH`);
      return;
    }
    this.#values(deviceId, device.aliases, payload, false, out);
  }

  /** Every node was lost with the broker session: the next message of each must be a birth. */
  forgetNodes(): void {
    this.#nodes.clear();
    this.stats.nodesOnline = 0;
  }

  #born(nodeId: string, node: NodeState | undefined, payload: SparkplugPayload): NodeState {
    const bdSeq = payload.metrics.find((m) => m.name === 'bdSeq');
    if (!node?.online) this.stats.nodesOnline++;
    const born: NodeState = {
      online: true,
      bdSeq: typeof bdSeq?.value === 'number' ? bdSeq.value : null,
      nextSeq: ((payload.seq ?? 0) + 1) % 256,
      aliases: aliasesOf(payload),
      // Its devices are born again after it; until then their data asks for a rebirth.
      devices: new Map(),
      lastRebirthAt: node?.lastRebirthAt ?? 0,
    };
    this.#nodes.set(nodeId, born);
    return born;
  }

  #nodeDied(nodeId: string, node: NodeState | undefined, payload: SparkplugPayload, out: SignalInput[]): void {
    const bdSeq = payload.metrics.find((m) => m.name === 'bdSeq')?.value;
    // The Last Will registered by an earlier session of the node arrives late: not this session's end.
    if (node?.online && node.bdSeq !== null && typeof bdSeq === 'number' && bdSeq !== node.bdSeq) return;
    if (node?.online) {
      node.online = false;
      node.devices.clear();
      this.stats.nodesOnline--;
    }
    // The Will's timestamp is when the node connected; it died when the broker said so.
    const at = this.#now();
    for (const id of Object.keys(this.o.mapping.devices))
      if (id === nodeId || id.startsWith(`${nodeId}/`)) this.#offline(id, at, out);
  }

  #offline(id: string, at: number | undefined, out: SignalInput[]): void {
    const equipment = this.o.mapping.devices[id];
    if (equipment) this.o.mapper.offline(id, equipment, at, out);
  }

  #checkSeq(group: string, nodeName: string, node: NodeState, payload: SparkplugPayload): void {
    const seq = payload.seq;
    if (seq === node.nextSeq) {
      node.nextSeq = (seq + 1) % 256;
      return;
    }
    this.stats.sequenceGaps++;
    if (seq !== undefined) node.nextSeq = (seq + 1) % 256;
    this.#rebirth(group, nodeName, `seq ${seq ?? 'missing'} from ${group}/${nodeName}, expected ${node.nextSeq}`);
  }

  #values(
    id: string,
    aliases: Map<number, string>,
    payload: SparkplugPayload,
    birth: boolean,
    out: SignalInput[],
  ): void {
    const equipment: EquipmentMapping | undefined = this.o.mapping.devices[id];
    for (const metric of payload.metrics) {
      const name = metric.name ?? (metric.alias === undefined ? undefined : aliases.get(metric.alias));
      if (name === undefined) {
        this.stats.unknownAliases++;
        const [group, node] = id.split('/');
        this.#rebirth(group!, node!, `alias ${metric.alias ?? 'missing'} from ${id} that no birth defined`);
        continue;
      }
      if (!equipment?.metrics[name] || metric.isHistorical) continue;
      const at = birth ? (payload.timestamp ?? metric.timestamp) : (metric.timestamp ?? payload.timestamp);
      this.o.mapper.map(id, equipment, name, metric.value, at, birth, out);
    }
  }

  #rebirth(group: string, nodeName: string, why: string): void {
    this.stats.lastProblem = why;
    const nodeId = `${group}/${nodeName}`;
    const node = this.#nodes.get(nodeId);
    const now = this.#now();
    if (node && now - node.lastRebirthAt < this.o.rebirthIntervalMs) return;
    if (node) node.lastRebirthAt = now;
    else this.#nodes.set(nodeId, unborn(now));
    this.stats.rebirthRequests++;
    const metric: SparkplugMetric = { name: REBIRTH_METRIC, timestamp: now, datatype: DataType.Boolean, value: true };
    this.o.command(`${NAMESPACE}/${group}/NCMD/${nodeName}`, { timestamp: now, metrics: [metric] });
  }
}

function aliasesOf(payload: SparkplugPayload): Map<number, string> {
  const aliases = new Map<number, string>();
  for (const m of payload.metrics) if (m.alias !== undefined && m.name) aliases.set(m.alias, m.name);
  return aliases;
}

const unborn = (lastRebirthAt: number): NodeState => ({
  online: false,
  bdSeq: null,
  nextSeq: 0,
  aliases: new Map(),
  devices: new Map(),
  lastRebirthAt,
});
