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
import { connect } from '@nats-io/transport-node';
import {
  createSubscriptionQueue,
  type MessageBus,
  type QueueOptions,
  type SignalConsumer,
  type SignalDelivery,
} from './message-bus.js';
import { Subjects } from '../../subjects.js';

const SECOND_NS = 1_000_000_000;

/**
 * The production bus. Domain events go to core NATS subjects, captured by the event stream for
 * later replay; machine signals go through JetStream with de-duplication by message id and one
 * durable pull consumer shared by all hub replicas (each signal reaches one replica).
 */
export class NatsBus implements MessageBus {
  readonly kind = 'nats' as const;
  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    readonly subjects: Subjects,
  ) {}
  #flush: Promise<void> | null = null;
  #reachable = true;
  readonly #listeners = new Set<(reachable: boolean) => void>();

  static async connect(servers: string, subjects = new Subjects(), name = 'plantgraph-hub'): Promise<NatsBus> {
    const { signalStream, eventStream, signalConsumer } = subjects;
    const nc = await connect({ servers: servers.split(','), name, maxReconnectAttempts: -1 });
    const jsm = await jetstreamManager(nc);
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
        ack_wait: 10 * SECOND_NS,
        max_ack_pending: 10_000,
        filter_subject: signalStream.subjects,
      });
    }
    const bus = new NatsBus(nc, jetstream(nc), subjects);
    bus.#watchStatus();
    return bus;
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
    this.#flush ??= Promise.resolve().then(() => {
      this.#flush = null;
      return this.nc.flush();
    });
    return this.#flush;
  }

  onReachability(listener: (reachable: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Follows the connection's status: a disconnect makes the bus unreachable until it reconnects. */
  #watchStatus(): void {
    void (async () => {
      for await (const s of this.nc.status()) {
        const reachable = s.type === 'reconnect' ? true : s.type === 'disconnect' ? false : null;
        if (reachable === null || reachable === this.#reachable) continue;
        this.#reachable = reachable;
        for (const l of this.#listeners) l(reachable);
      }
    })().catch(() => {});
  }

  subscribe(patterns: string[], options?: QueueOptions) {
    const subs: Subscription[] = [];
    const queue = createSubscriptionQueue(() => {
      for (const s of subs) s.unsubscribe();
    }, options);
    for (const pattern of patterns) {
      subs.push(
        this.nc.subscribe(pattern, {
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

  /**
   * Signals flow continuously (a JetStream consume with a bounded buffer); each batch is whatever
   * arrived while the previous one was being stored, up to `batchSize`, so batches grow with the
   * load and latency stays low when it is light. When the handler falls behind, reading stops at
   * four batches buffered and JetStream holds the rest (back-pressure, not memory).
   */
  consumeSignals(
    handle: (batch: SignalDelivery[]) => Promise<void>,
    options: { batchSize?: number } = {},
  ): SignalConsumer {
    const batchSize = options.batchSize ?? 512;
    const buffered: JsMsg[] = [];
    let running = true;
    let messages: ConsumerMessages | null = null;
    let wakeHandler = null as (() => void) | null;
    let resumeReading = null as (() => void) | null;
    const reader = (async () => {
      while (running && !this.nc.isClosed()) {
        try {
          const consumer = await this.js.consumers.get(this.subjects.signalStream.name, this.subjects.signalConsumer);
          messages = await consumer.consume({ max_messages: batchSize * 2 });
          for await (const m of messages) {
            buffered.push(m);
            wakeHandler?.();
            if (buffered.length >= batchSize * 4) await new Promise<void>((r) => (resumeReading = r));
          }
        } catch (err) {
          if (!running) break;
          console.error(`[bus] reading signals failed, retrying in 1 s: ${(err as Error).message}`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    })();
    const handler = (async () => {
      while (running) {
        if (!buffered.length) {
          await new Promise<void>((r) => (wakeHandler = r));
          wakeHandler = null;
          continue;
        }
        const batch = buffered.splice(0, batchSize).map(
          (m): SignalDelivery => ({
            subject: m.subject,
            payload: m.data,
            attempt: m.info.deliveryCount,
            ack: () => m.ack(),
            nak: () => m.nak(1000),
          }),
        );
        resumeReading?.();
        resumeReading = null;
        // Unsettled messages (a crashed or failed batch) are redelivered by JetStream after ack_wait (10 s).
        await handle(batch).catch((err) =>
          console.error(`[ingest] batch failed, it will be redelivered: ${(err as Error).message}`),
        );
      }
    })();
    return {
      stop: async () => {
        running = false;
        await messages?.close().catch(() => {});
        wakeHandler?.();
        resumeReading?.();
        await Promise.all([reader, handler]);
      },
    };
  }

  async checkReady(): Promise<void> {
    if (this.nc.isClosed()) throw new Error('NATS connection is closed.');
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
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
