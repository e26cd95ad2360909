import type { Database } from '../infrastructure/database/database.js';
import type { BusMessage, MessageBus } from '../infrastructure/bus/message-bus.js';
import {
  claimEvents,
  pruneEvents,
  readEvents,
  relayBacklog,
  SEQUENCE_ROUND,
  type SequencedEvent,
  sequenceEvents,
  toMessage,
} from './event-outbox.js';
import type { EventsCommitted } from './unit-of-work.js';

type Log = Pick<Console, 'log' | 'warn'>;

/** A publish not confirmed by then counts as failed, so relaying goes on during a bus outage. */
const PUBLISH_TIMEOUT_MS = 2000;
/** Events held from this replica's commits, at most: past it the oldest are read back instead. */
const MAX_HELD = 20_000;

export interface EventRelayOptions {
  /** How often committed events of other writers (replicas, the CLI) are looked for. */
  sweepMs?: number;
  /** Sequenced events are kept this long for resuming subscribers and connectors. */
  retentionMs?: number;
  /**
   * This replica's own subscribers, handed each sequenced event before it is published (the feed:
   * `EventFeed.deliverLocally`), so they do not wait for the round trip through the bus. The events
   * then go out with `publishEvents`, which the feed's inbox (`subscribeExceptOwnEvents`) is not
   * sent back (ADR 0063). Without it, with `publish`: a feed on the bus gets them from there.
   */
  local?: (messages: BusMessage[]) => void;
}

/**
 * Publishes committed outbox rows. Every replica runs one: it is woken after each local commit that
 * wrote events and sweeps every `sweepMs` for others' commits. Events come numbered from the
 * transaction that wrote them (`recordEvents`); the relay claims the next numbers past the relays'
 * mark in one statement (`claimEvents`), serialised by the database, so relays of several replicas
 * never publish an event twice. The claimed events this replica committed itself and was handed
 * (`wake(events)`, the signal ingest) are published as held; only the others are read back. Each
 * event is published with its event id as the NATS message id, so a re-publish after a failed
 * flush is dropped by the event stream. A publish that fails (bus
 * down), or a replica killed between its claim and its publish, leaves the events stored with
 * their numbers: every subscriber's feed fills its gaps from the database (`event-feed.ts`); an
 * outage is logged once, and once when it ends. Rows written without a number (an older hub's)
 * are numbered here first (`sequenceEvents`).
 */
export class EventRelay implements EventsCommitted {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  #publishFailing = false;
  #storeFailing = false;
  #lastPrune = 0;
  /** Committed events handed over by their writer, by number, until a claim covers them. */
  readonly #held = new Map<number, SequencedEvent>();
  readonly #sweepMs: number;
  readonly #retentionMs: number;
  readonly #local: ((messages: BusMessage[]) => void) | null;
  /** The highest number handed to this replica's feed at its commit (`wake`): claims hand on only later ones. */
  #localThrough = 0;

  constructor(
    private readonly db: Database,
    private readonly bus: MessageBus,
    private readonly log: Log = console,
    options: EventRelayOptions = {},
  ) {
    this.#sweepMs = options.sweepMs ?? 250;
    this.#retentionMs = options.retentionMs ?? 24 * 3600_000;
    this.#local = options.local ?? null;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  /**
   * Relays now (coalesced: a wake during a round makes one more round). `events` are ones just
   * committed, with their numbers, as stored: published from memory when claimed, not read back.
   */
  wake(events?: readonly SequencedEvent[]): void {
    if (events) {
      this.#hold(events);
      this.#deliverAtCommit(events);
    }
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#round().finally(() => {
      this.#running = null;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.wake();
      }
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    // Whatever this replica committed last is published before it goes (others would sweep it up anyway).
    await this.#relayAll().catch(() => {});
  }

  /**
   * This replica's own subscribers get its committed events at once, before the claim's round trips
   * (issue 15: at 20 signals/s a state change reached them about 2 ms later for the claim alone, and
   * under load behind every earlier round). They are committed, and numbered under the outbox head's
   * lock held to the commit, so nothing before them is still to commit: should an earlier number not
   * have reached the feed yet (another replica's), the feed fills it from the outbox first.
   */
  #deliverAtCommit(events: readonly SequencedEvent[]): void {
    if (!this.#local || this.#stopped || !events.length) return;
    this.#local(events.map(toMessage));
    for (const e of events) if (e.seq > this.#localThrough) this.#localThrough = e.seq;
  }

  #hold(events: readonly SequencedEvent[]): void {
    for (const e of events) this.#held.set(e.seq, e);
    // Claimed by another replica, or never claimed while the bus is down: the oldest go (Map order).
    for (const seq of this.#held.keys()) {
      if (this.#held.size <= MAX_HELD) break;
      this.#held.delete(seq);
    }
  }

  /** The claimed events: those held, and the others read from the outbox (one statement for them all). */
  async #claimed(after: number, through: number): Promise<SequencedEvent[]> {
    const events: SequencedEvent[] = [];
    let firstMissing = 0;
    let lastMissing = 0;
    for (let seq = after + 1; seq <= through; seq++) {
      const event = this.#held.get(seq);
      if (event) events.push(event);
      else {
        firstMissing ||= seq;
        lastMissing = seq;
      }
    }
    // Anything held at or below the mark is published now or was claimed by another replica.
    for (const seq of this.#held.keys()) if (seq <= through) this.#held.delete(seq);
    if (!firstMissing) return events;
    const read = await readEvents(this.db.em.fork(), firstMissing - 1, lastMissing - firstMissing + 1, lastMissing);
    const merged = new Map<number, SequencedEvent>();
    for (const e of events) merged.set(e.seq, e);
    for (const e of read) merged.set(e.seq, e);
    return [...merged.values()].sort((a, b) => a.seq - b.seq);
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      if (this.#stopped) return;
      this.wake();
      this.#schedule();
    }, this.#sweepMs);
    this.#timer.unref?.();
  }

  async #round(): Promise<void> {
    try {
      await this.#relayAll();
      if (this.#storeFailing) this.log.log('[events] the outbox is reachable again; relaying');
      this.#storeFailing = false;
      if (Date.now() - this.#lastPrune > 60_000) {
        this.#lastPrune = Date.now();
        // In steps of 10,000 rows, up to a million a minute: ahead of any line rate the ingest sustains.
        for (let i = 0; i < 100 && !this.#stopped; i++)
          if ((await pruneEvents(this.db.em.fork(), this.#retentionMs)) < 10_000) break;
      }
    } catch (err) {
      if (!this.#storeFailing) this.log.warn(`[events] cannot relay the outbox (${(err as Error).message}); retrying`);
      this.#storeFailing = true;
    }
  }

  async #relayAll(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      // A plain query first: nothing to do costs no transaction, and while the database is down no
      // transaction is opened (a pooled connection that dies inside one is not always given back).
      const backlog = await relayBacklog(this.db.em.fork());
      if (backlog.unsequenced) await this.db.em.fork().transactional((tx) => sequenceEvents(tx));
      else if (!backlog.unrelayed) return;
      const { after, through } = await claimEvents(this.db.em.fork());
      if (through === after && !backlog.unsequenced) return;
      const events = await this.#claimed(after, through);
      const messages = events.map(toMessage);
      try {
        await withTimeout(this.#publish(events, messages), PUBLISH_TIMEOUT_MS);
        if (this.#publishFailing) this.log.log('[events] publishing events again');
        this.#publishFailing = false;
      } catch (err) {
        if (!this.#publishFailing)
          this.log.warn(
            `[events] cannot publish events (${(err as Error).message}); they are stored and reach ` +
              'subscribers from the database once the bus is back',
          );
        this.#publishFailing = true;
      }
      if (through - after < SEQUENCE_ROUND && !backlog.unsequenced) return;
    }
  }

  /** Hands the events to this replica's feed (those not handed at commit), then publishes them for everyone else. */
  #publish(events: SequencedEvent[], messages: BusMessage[]): Promise<unknown> {
    if (!this.#local)
      return Promise.all(messages.map((m, i) => this.bus.publish(m.subject, m.data, events[i]!.eventId)));
    // Those handed over at their commit are not handed again (the feed would drop them by number).
    const later = messages.filter((_, i) => events[i]!.seq > this.#localThrough);
    if (later.length) this.#local(later);
    return this.bus.publishEvents(
      messages.map((m, i) => ({ subject: m.subject, data: m.data, id: events[i]!.eventId })),
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not confirmed within ${ms} ms`)), ms);
  });
  promise.catch(() => {}); // settled later, after the timeout won: nothing to do
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
