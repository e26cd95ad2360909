// The machine stream: one session on the endpoint, one subscription, the mapped nodes as monitored
// items (grouped by sampling interval and filter), each data change mapped to a signal and handed to
// the store-and-forward buffer. A lost connection is node-opcua's to restore; this checks that the
// subscription really came back, and says `lost` (the host reopens everything) when it did not.

import type { ConnectorContext, StreamHandle, StreamHealth } from '@plantgraph/connector-sdk';
import { enumerationNames } from './browse.js';
import { connect, type Connection, type EndpointSettings, type NodeOpcua } from './connection.js';
import type { Forwarder } from './forwarder.js';
import type { MappedItem } from './mapping.js';
import { type EquipmentSignal, type ItemMemory, ItemSignals } from './signals.js';

const COUNTERS_KEY = 'counters';
/** How often the cumulative counters' totals the hub took are saved (so a restart resumes from them). */
const SAVE_COUNTERS_MS = 2000;

export interface StreamOptions {
  context: ConnectorContext;
  endpoint: EndpointSettings;
  items: MappedItem[];
  forwarder: Forwarder;
  publishingIntervalMs: number;
  queueSize: number;
}

/** Totals behind the Count signals of cumulative counters, until the hub has taken them. */
export const countedTotals = new WeakMap<EquipmentSignal, ItemMemory>();

export class MachineStream {
  readonly health: StreamHealth;
  #conn: Connection | null = null;
  #items: ItemSignals[] = [];
  #bad = new Set<string>();
  #committed: Record<string, ItemMemory> = {};
  #dirty = false;
  #timers: NodeJS.Timeout[] = [];
  #lastHeard = Date.now();
  #closed = false;
  #skipWarned = new Set<string>();
  #subscription: import('node-opcua').ClientSubscription | null = null;
  /** Items the server refused to monitor (a wrong node id): not expected back after a reconnect. */
  #failedToMonitor = 0;

  constructor(private readonly o: StreamOptions) {
    this.health = {
      stream: 'machine',
      endpoint: o.endpoint.endpointUrl,
      connected: false,
      lastValueAt: null,
      itemsBad: 0,
      items: o.items.length,
      buffered: 0,
      dropped: 0,
      detail: null,
    };
  }

  /** Totals the hub took (after each batch): saved every few seconds. */
  committed(signals: EquipmentSignal[]): void {
    for (const s of signals) {
      const memory = countedTotals.get(s);
      if (memory) {
        this.#committed[s.source] = memory;
        this.#dirty = true;
      }
    }
  }

  async open(lost: (error: Error) => void): Promise<StreamHandle> {
    const { context } = this.o;
    this.#committed = JSON.parse((await context.store.get(COUNTERS_KEY)) ?? '{}') as Record<string, ItemMemory>;
    this.#items = this.o.items.map((item) => {
      const signals = new ItemSignals(item, context.name, null);
      if (item.counter === 'cumulative') signals.memory = this.#committed[signals.source] ?? null;
      return signals;
    });
    const conn = await connect(context, this.o.endpoint, 1);
    this.#conn = conn;
    try {
      await this.#subscribe(conn, lost);
    } catch (err) {
      await conn.close();
      throw err;
    }
    this.health.connected = true;
    this.health.detail = null;
    const { client } = conn;
    client.on('connection_lost', () => {
      for (const item of this.#items) item.resubscribed();
      this.health.connected = false;
      this.health.detail = 'connection lost; node-opcua reconnects';
      context.log.warn(`${this.o.endpoint.endpointUrl}: connection lost, reconnecting`);
    });
    client.on('after_reconnection', () => void this.#checkRestored(conn, lost));
    this.#timers.push(setInterval(() => void this.#saveCounters(), SAVE_COUNTERS_MS));
    // node-opcua users report subscriptions that stop silently after a server restart: a subscription
    // sends at least a keep-alive every keep-alive period; silence for long while connected is lost.
    const silentMs = this.o.publishingIntervalMs * 10 * 4 + 10_000;
    this.#timers.push(
      setInterval(() => {
        if (this.health.connected && Date.now() - this.#lastHeard > silentMs)
          lost(new Error(`${this.o.endpoint.endpointUrl}: the subscription sent nothing for ${silentMs / 1000} s`));
      }, 1000),
    );
    return { close: () => this.close() };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.health.connected = false;
    await this.#conn?.close();
    await this.#saveCounters();
  }

  async #subscribe(conn: Connection, lost: (error: Error) => void): Promise<void> {
    const { opcua, session } = conn;
    for (const s of this.#items) {
      if (s.item.role === 'state' && s.item.state!.enumeration)
        s.enumNames = await enumerationNames(opcua, session, s.item.nodeId);
    }
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: this.o.publishingIntervalMs,
      requestedLifetimeCount: 60,
      requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    this.#subscription = subscription;
    subscription.on('keepalive', () => {
      this.#lastHeard = Date.now();
    });
    subscription.on('received_notifications', () => {
      this.#lastHeard = Date.now();
    });
    subscription.on('terminated', () => {
      if (!this.#closed) lost(new Error(`${this.o.endpoint.endpointUrl}: the server ended the subscription`));
    });
    for (const group of groupItems(opcua, this.#items, this.o.queueSize)) {
      const monitored = opcua.ClientMonitoredItemGroup.create(
        subscription,
        group.items.map((s) => ({ nodeId: s.item.nodeId, attributeId: opcua.AttributeIds.Value })),
        group.parameters,
        opcua.TimestampsToReturn.Both,
      );
      await new Promise<void>((resolve, reject) => {
        monitored.once('initialized', () => resolve());
        monitored.once('err', (message: string) => reject(new Error(`monitoring failed: ${message}`)));
      });
      monitored.monitoredItems.forEach((mi, i) => {
        const nodeId = group.items[i]!.item.nodeId;
        if (mi.statusCode.isNotGood()) {
          this.#markBad(nodeId, true);
          this.#failedToMonitor++;
          this.o.context.log.warn(`${nodeId}: cannot be monitored (${mi.statusCode.name}); check the node id`);
        }
      });
      monitored.on('changed', (_mi, dataValue, index) => this.#changed(group.items[index]!, dataValue));
    }
  }

  #changed(s: ItemSignals, dv: import('node-opcua').DataValue): void {
    this.#lastHeard = Date.now();
    const good = dv.statusCode.isGood();
    this.#markBad(s.item.nodeId, !good);
    if (!good) return;
    const stamp = dv.sourceTimestamp ?? dv.serverTimestamp;
    const picoseconds = dv.sourceTimestamp ? dv.sourcePicoseconds : dv.serverPicoseconds;
    const ms = stamp ? stamp.getTime() : Date.now();
    const micros = stamp ? Math.floor((picoseconds ?? 0) / 1_000_000) : 0;
    this.health.lastValueAt = new Date();
    const outcome = s.map({ value: dv.value.value, good, ms, micros });
    if ('signal' in outcome) {
      if (s.item.counter === 'cumulative') countedTotals.set(outcome.signal, s.memory!);
      this.o.forwarder.push(outcome.signal);
    } else if (outcome.skip && !this.#skipWarned.has(outcome.skip)) {
      this.#skipWarned.add(outcome.skip); // once per distinct reason, not per value
      this.o.context.log.warn(`skipped: ${outcome.skip}`);
    }
  }

  #markBad(nodeId: string, bad: boolean): void {
    if (bad) this.#bad.add(nodeId);
    else this.#bad.delete(nodeId);
    this.health.itemsBad = this.#bad.size;
  }

  /**
   * After node-opcua reconnected (and, after a server restart, made a new session and subscription):
   * the server must know the subscription with all its items (GetMonitoredItems), else `lost`.
   */
  async #checkRestored(conn: Connection, lost: (error: Error) => void): Promise<void> {
    let problem = 'no answer';
    for (let attempt = 0; attempt < 10 && !this.#closed; attempt++) {
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      const subscription = this.#subscription;
      try {
        if (!subscription) throw new Error('no subscription');
        // The session after the repair (node-opcua may have made a new one on a restarted server).
        const session = (subscription.session ?? conn.session) as unknown as RawSubscriptions;
        const { serverHandles } = await session.getMonitoredItems(subscription.subscriptionId);
        const monitored = this.#items.length - this.#failedToMonitor;
        if (serverHandles.length < monitored)
          throw new Error(`${serverHandles.length} of ${monitored} items monitored`);
        this.health.connected = true;
        this.health.detail = null;
        this.#lastHeard = Date.now();
        this.o.context.log.log(
          `${this.o.endpoint.endpointUrl}: reconnected, subscription with ${monitored} items restored`,
        );
        return;
      } catch (err) {
        problem = (err as Error).message;
      }
    }
    if (!this.#closed)
      lost(new Error(`${this.o.endpoint.endpointUrl}: subscription not restored after the reconnect (${problem})`));
  }

  async #saveCounters(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    await this.o.context.store.set(COUNTERS_KEY, JSON.stringify(this.#committed)).catch((err: Error) => {
      this.#dirty = true;
      this.o.context.log.warn(`cannot save the counters' totals: ${err.message}`);
    });
  }
}

type RawSubscriptions = import('node-opcua').ClientSessionRawSubscriptionService;

interface ItemGroup {
  items: ItemSignals[];
  parameters: import('node-opcua').MonitoringParametersOptions;
}

/** Items with the same sampling interval and filter share one CreateMonitoredItems call. */
function groupItems(opcua: NodeOpcua, items: ItemSignals[], queueSize: number): ItemGroup[] {
  const groups = new Map<string, ItemGroup>();
  for (const s of items) {
    const { item } = s;
    const deadband = item.value?.deadband;
    // Counters and cycles report every change, also a value equal to the last (one more part).
    const everyChange = item.role === 'cycle' || item.counter === 'delta';
    const trigger = everyChange ? opcua.DataChangeTrigger.StatusValueTimestamp : opcua.DataChangeTrigger.StatusValue;
    const key = JSON.stringify([item.samplingIntervalMs, deadband ?? null, trigger]);
    let group = groups.get(key);
    if (!group) {
      const filter =
        deadband || everyChange
          ? new opcua.DataChangeFilter({
              trigger,
              deadbandType: !deadband
                ? opcua.DeadbandType.None
                : deadband.type === 'percent'
                  ? opcua.DeadbandType.Percent
                  : opcua.DeadbandType.Absolute,
              deadbandValue: deadband?.value ?? 0,
            })
          : null;
      group = {
        items: [],
        parameters: { samplingInterval: item.samplingIntervalMs, discardOldest: true, queueSize, filter },
      };
      groups.set(key, group);
    }
    group.items.push(s);
  }
  return [...groups.values()];
}
