import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JsMsg,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { headers, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import {
  type BatchOutcome,
  createSubscriptionQueue,
  type EventPublish,
  type MessageBus,
  type QueueOptions,
  type SignalBatchHandler,
  type SignalConsumer,
  type SignalConsumerOptions,
  type SignalDelivery,
  type SignalPublish,
} from './message-bus.js';
import { SignalLanes } from './signal-lanes.js';
import { SignalPublisher } from './signal-publisher.js';
import { Subjects } from '../../subjects.js';
import { connectToNats, connectWithoutEcho } from './nats-connect.js';
import { isLostPull, lostPullNotice, PULL_HEARTBEAT_MS } from './lost-pull.js';

const SECOND_NS = 1_000_000_000;
/** How long JetStream waits for a delivered signal to be settled before it delivers it again. */
const ACK_WAIT_MS = 10_000;
/** How long one pull stays open for signals to arrive. */
const PULL_EXPIRES_MS = 2000;
/** How long a lane's first signal waits for more before its batch is stored anyway. */
const DEFAULT_MAX_BATCH_DELAY_MS = 5;
/**
 * The most signals in one batch. A full batch happens only with a backlog (at live rates the delay
 * closes batches first): 1024 instead of 512 drained 26,000-27,500 instead of 23,300-24,700 signals/s,
 * fewer calls and commits for PostgreSQL and fewer turns for the hub.
 */
const DEFAULT_BATCH_SIZE = 1024;
/**
 * Signals delivered to this consumer and not yet acknowledged, at most (the durable consumer's
 * setting): buffered, in a pull or being stored. It bounds what the lanes hold as well.
 */
const MAX_ACK_PENDING = 10_000;

/**
 * The production bus. Domain events go to core NATS subjects, captured by the event stream for
 * later replay; machine signals go through JetStream with de-duplication by message id and one
 * durable pull consumer shared by all hub replicas (each signal reaches one replica). The relay's
 * numbered events and the feed's inbox share a second connection, `events`, opened with `noEcho`
 * (ADR 0063): the server sends this replica's events to every other subscriber, its other
 * subscriptions included, but not back to the feed that had them in process.
 */
export class NatsBus implements MessageBus {
  readonly kind = 'nats' as const;
  private constructor(
    private readonly nc: NatsConnection,
    private readonly events: NatsConnection,
    private readonly js: JetStreamClient,
    readonly subjects: Subjects,
  ) {
    void this.#followStatus(nc);
    void this.#followStatus(events);
  }
  /** Each connection's flush of this tick, shared by every publish of the tick. */
  readonly #flushes = new Map<NatsConnection, Promise<void>>();
  /** One header set for every event, filled in before each publish (which encodes it at once). */
  readonly #eventHeaders = headers();
  #signalPublisher: SignalPublisher | null = null;
  #manager: Promise<StreamManager> | null = null;
  /** The server each connection lost, while it is reconnecting. */
  readonly #disconnectedFrom = new Map<NatsConnection, string>();

  readonly #listeners = new Set<(reachable: boolean) => void>();

  /** Follows a connection: a disconnect of either makes the bus unreachable until both are back. */
  async #followStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      const wasReachable = this.#disconnectedFrom.size === 0;
      if (status.type === 'disconnect') this.#disconnectedFrom.set(nc, status.server);
      else if (status.type === 'reconnect') this.#disconnectedFrom.delete(nc);
      else continue;
      const reachable = this.#disconnectedFrom.size === 0;
      if (reachable !== wasReachable) for (const l of this.#listeners) l(reachable);
    }
  }

  /** `startTimeoutMs`: how long NATS has to answer, then for JetStream (`PLANTGRAPH_NATS_START_TIMEOUT_MS`). */
  static async connect(
    servers: string,
    subjects = new Subjects(),
    name = 'plantgraph-hub',
    startTimeoutMs?: number,
  ): Promise<NatsBus> {
    const { signalStream, eventStream, signalConsumer } = subjects;
    const { nc, jsm } = await connectToNats(servers, name, startTimeoutMs);
    await ensureStream(jsm, {
      name: signalStream.name,
      subjects: [signalStream.subjects],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: 120 * SECOND_NS,
      max_age: 7 * 24 * 3600 * SECOND_NS,
    });
    await ensureStream(jsm, {
      name: eventStream.name,
      subjects: [eventStream.subjects],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: 120 * SECOND_NS,
      max_age: 24 * 3600 * SECOND_NS,
    });
    try {
      await jsm.consumers.info(signalStream.name, signalConsumer);
    } catch {
      await jsm.consumers.add(signalStream.name, {
        durable_name: signalConsumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: ACK_WAIT_MS * 1_000_000,
        max_ack_pending: MAX_ACK_PENDING,
        filter_subject: signalStream.subjects,
      });
    }
    let events: NatsConnection;
    try {
      events = await connectWithoutEcho(servers, `${name}-events`, startTimeoutMs);
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
    return new NatsBus(nc, events, jetstream(nc), subjects);
  }

  publish(subject: string, data: unknown, messageId?: string): Promise<void> {
    // A core publish on a subject the event stream captures: written to the socket in call order,
    // and every publish of one tick shares one flush, so a resolved publish means the server has it.
    // The stream drops a repeated `Nats-Msg-Id` (a relay re-publishing after a failed flush).
    let h: MsgHdrs | undefined;
    if (messageId) {
      h = headers();
      h.set('Nats-Msg-Id', messageId);
    }
    this.nc.publish(subject, JSON.stringify(data), h ? { headers: h } : undefined);
    return this.#flushThisTick(this.nc);
  }

  publishEvents(events: readonly EventPublish[]): Promise<void> {
    // As `publish`, on the connection the server does not echo to: the feed's inbox is on it too.
    const h = this.#eventHeaders;
    for (const e of events) {
      h.set('Nats-Msg-Id', e.id);
      this.events.publish(e.subject, JSON.stringify(e.data), { headers: h });
    }
    return this.#flushThisTick(this.events);
  }

  #flushThisTick(nc: NatsConnection): Promise<void> {
    let flush = this.#flushes.get(nc);
    if (!flush) {
      flush = Promise.resolve().then(() => {
        this.#flushes.delete(nc);
        return nc.flush();
      });
      this.#flushes.set(nc, flush);
    }
    return flush;
  }

  onReachability(listener: (reachable: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  subscribe(patterns: string[], options?: QueueOptions) {
    return this.#subscribe(this.nc, patterns, options);
  }

  subscribeExceptOwnEvents(patterns: string[], options?: QueueOptions) {
    return this.#subscribe(this.events, patterns, options);
  }

  #subscribe(nc: NatsConnection, patterns: string[], options?: QueueOptions) {
    const subs: Subscription[] = [];
    const queue = createSubscriptionQueue(() => {
      for (const s of subs) s.unsubscribe();
    }, options);
    for (const pattern of patterns) {
      subs.push(
        nc.subscribe(pattern, {
          callback: (err, msg) => {
            if (err) return queue.close();
            queue.push({ subject: msg.subject, data: msg.json() });
          },
        }),
      );
    }
    return queue;
  }

  async publishSignal(subject: string, payload: Uint8Array, messageId: string): Promise<void> {
    await this.js.publish(subject, payload, { msgID: messageId });
  }

  publishSignals(batch: readonly SignalPublish[]): Promise<void> {
    if (!this.#signalPublisher || this.#signalPublisher.broken) this.#signalPublisher = new SignalPublisher(this.nc);
    return this.#signalPublisher.publish(batch);
  }

  /**
   * Signals are fetched in pulls and split into lanes by equipment (`SignalLanes`): each lane
   * stores one batch at a time, so with four lanes up to four batches are in flight (a batch that is
   * not full takes the idle lanes' signals with it, ADR 0064), and one equipment's
   * signals are stored in the order they arrived. A lane's batch is ready when full or when its
   * oldest signal has waited `maxBatchDelayMs`. With three batches per lane buffered (or the
   * consumer's `MAX_ACK_PENDING` reached), fetching waits and JetStream holds the rest
   * (back-pressure, not memory). Explicit pulls, rather than a
   * continuous consume, mean nothing is on its way to this replica unless a pull is open: when a
   * batch asks for a pause, the open pull ends, what is held here goes back to JetStream, and
   * nothing is fetched (nor stored, in any lane) until the pause ends.
   */
  consumeSignals(handle: SignalBatchHandler, options: SignalConsumerOptions = {}): SignalConsumer {
    const lanes = new SignalLanes<JsMsg>(
      options.lanes ?? 1,
      options.batchSize ?? DEFAULT_BATCH_SIZE,
      options.maxBatchDelayMs ?? DEFAULT_MAX_BATCH_DELAY_MS,
    );
    const { batchSize } = lanes;
    const keyOf = (m: JsMsg) => this.subjects.parseSignalSubject(m.subject)?.path ?? m.subject;
    let running = true;
    let pull = null as ConsumerMessages | null;
    let resumeReading = null as (() => void) | null;
    const resumeReader = () => {
      const resume = resumeReading;
      resumeReading = null;
      resume?.();
    };
    let pausedUntil = 0;
    const paused = () => Date.now() < pausedUntil;
    const sleepers = new Set<() => void>();
    const sleepUntil = (time: number) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, time - Date.now()));
        sleepers.add(wake);
      });
    const reader = (async () => {
      let failing = false;
      const noticeLostPull = lostPullNotice();
      let lostLastPull = false;
      let consumer = null as Awaited<ReturnType<JetStreamClient['consumers']['get']>> | null;
      while (running && !this.nc.isClosed()) {
        if (paused()) {
          // No pull is open now, so what goes back stays with JetStream (for another replica, or
          // this one after the pause) instead of coming straight back.
          for (const m of lanes.takeAll()) m.nak();
          await sleepUntil(pausedUntil);
          continue;
        }
        if (lanes.size >= Math.min(batchSize * 3 * lanes.lanes, MAX_ACK_PENDING)) {
          await new Promise<void>((r) => (resumeReading = r));
          continue;
        }
        try {
          consumer ??= await this.js.consumers.get(this.subjects.signalStream.name, this.subjects.signalConsumer);
          pull = await consumer.fetch({
            max_messages: batchSize * lanes.lanes,
            expires: PULL_EXPIRES_MS,
            idle_heartbeat: PULL_HEARTBEAT_MS,
          });
          if (failing) console.error('[bus] reading signals again');
          failing = false;
          for await (const m of pull) lanes.push(keyOf(m), m);
          lostLastPull = false;
        } catch (err) {
          if (!running) break;
          // One lost pull is pulled again at once; a second in a row is taken for an outage (below).
          if (isLostPull(err) && !lostLastPull) {
            lostLastPull = true;
            noticeLostPull();
            continue;
          }
          consumer = null;
          // Once per outage, not once per attempt.
          if (!failing) console.error(`[bus] reading signals failed, retrying every second: ${(err as Error).message}`);
          failing = true;
          await sleepUntil(Date.now() + 1000);
        }
      }
    })();
    // What this replica holds (waiting, or in a batch being stored) is still being worked on: it
    // says so, so that a backlog or a slow store does not make JetStream deliver it a second time.
    const inBatch: Set<JsMsg>[] = Array.from({ length: lanes.lanes }, () => new Set());
    const keepHeld = setInterval(() => {
      for (const m of lanes.waiting()) m.working();
      for (const held of inBatch) for (const m of held) m.working();
    }, ACK_WAIT_MS / 3);
    const storeLane = async (lane: number) => {
      while (running) {
        if (paused()) {
          await sleepUntil(pausedUntil);
          continue;
        }
        const batchOfLanes = await lanes.next(lane);
        const taken = batchOfLanes.items;
        resumeReader();
        if (!taken.length) continue;
        if (paused()) {
          lanes.release(batchOfLanes, taken);
          continue;
        }
        const unsettled = new Set(taken);
        inBatch[lane] = unsettled;
        const settle = (m: JsMsg, again: boolean) => {
          if (!unsettled.delete(m)) return;
          if (again) m.nak(1000);
          else m.ack();
        };
        const batch = taken.map(
          (m): SignalDelivery => ({
            subject: m.subject,
            payload: m.data,
            attempt: m.info.deliveryCount,
            receivedAt: m.time,
            ack: () => settle(m, false),
            nak: () => settle(m, true),
          }),
        );
        const outcome = await handle(batch).catch((err: Error): BatchOutcome => {
          console.error(`[ingest] batch failed, it will be redelivered: ${err.message}`);
          return { pauseMs: 1000 };
        });
        if (!outcome) {
          for (const m of unsettled) settle(m, true);
          inBatch[lane] = new Set();
          lanes.release(batchOfLanes);
          continue;
        }
        // Back to the head of their lanes: the reader hands it all back once its open pull has
        // ended, or, after a short pause, the next batch takes it up again.
        pausedUntil = Math.max(pausedUntil, Date.now() + outcome.pauseMs);
        lanes.release(batchOfLanes, unsettled);
        inBatch[lane] = new Set();
        resumeReader();
        await sleepUntil(pausedUntil);
      }
    };
    const handlers = Array.from({ length: lanes.lanes }, (_, lane) => storeLane(lane));
    return {
      stop: async () => {
        running = false;
        clearInterval(keepHeld);
        // What is on its way is not lost: unsettled, JetStream delivers it again after ack_wait.
        void pull?.close().catch(() => {});
        lanes.close();
        resumeReader();
        for (const wake of [...sleepers]) wake();
        await Promise.all([reader, ...handlers]);
      },
    };
  }

  async checkReady(): Promise<void> {
    if (this.nc.isClosed() || this.events.isClosed()) throw new Error('NATS: the connection is closed.');
    // Known at once from the connections' status, without waiting for a flush that cannot come back.
    const [lost] = this.#disconnectedFrom.values();
    if (lost) throw new Error(`NATS: disconnected from ${lost}, reconnecting.`);
    await Promise.all([this.nc.flush(), this.events.flush()]);
  }

  async signalBacklog(): Promise<number> {
    const { signalStream, signalConsumer } = this.subjects;
    // One manager for every scrape: making one asks the server for the account's JetStream info first.
    this.#manager ??= jetstreamManager(this.nc).catch((err: Error) => {
      this.#manager = null; // asked again at the next scrape
      throw err;
    });
    const info = await (await this.#manager).consumers.info(signalStream.name, signalConsumer);
    return info.num_pending + info.num_ack_pending;
  }

  async close(): Promise<void> {
    await Promise.all([this.nc, this.events].map((c) => (c.isClosed() ? undefined : c.drain())));
  }
}

type StreamManager = Awaited<ReturnType<typeof jetstreamManager>>;
async function ensureStream(jsm: StreamManager, config: Parameters<StreamManager['streams']['add']>[0]): Promise<void> {
  try {
    await jsm.streams.info(config.name!);
    await jsm.streams.update(config.name!, config);
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) throw err;
    await jsm.streams.add(config);
  }
}
