import type { Database } from '../infrastructure/database/database.js';
import {
  type BusMessage,
  type BusSubscription,
  createSubscriptionQueue,
  type MessageBus,
  type QueueOptions,
  subjectMatches,
} from '../infrastructure/bus/message-bus.js';
import { encodeCursor, readEvents, retainedRange, toMessage } from './event-outbox.js';
import { cursorExpired, eventsUnavailable } from './faults.js';
import type { Subjects } from '../subjects.js';

type Log = Pick<Console, 'log' | 'warn'>;

export interface FeedOptions {
  /** Resume after this sequence number (from a cursor): first what was missed, then live. */
  after?: number | null;
  queue?: QueueOptions;
  /** For the hub's own followers (key revocations): kept across a bus outage, its gap filled after. */
  survivesOutage?: boolean;
}

interface Follower {
  patterns: string[];
  /** The highest sequence number handed to this follower's queue. */
  last: number;
  queue: ReturnType<typeof createSubscriptionQueue>;
  survivesOutage: boolean;
  fail(): void;
}

/** What subscribing services need of the feed (and tests may stand in for). */
export interface EventSource {
  readonly subjects: Subjects;
  subscribe(patterns: string[], options?: FeedOptions): BusSubscription;
}

interface Replay {
  messages: BusMessage[];
  /** The sequence number the replay has read up to. */
  position: number;
  /** Whether the cursor was checked against what is kept. */
  checked: boolean;
}

const PAGE = 500;
/** Live events held for the feed's own reading before it starts over (the rest is filled from the database). */
const INBOX_LIMIT = 20_000;
/** Subjects whose followers are remembered (one per equipment and event type in practice). */
const MAX_ROUTES = 10_000;
/** Milliseconds of local delivery (and the fan-out it starts) between turns of the event loop. */
const SLICE_MS = 4;

/**
 * One replica's ordered view of the hub's events (ADR 0010). Events arrive from the bus with their
 * sequence numbers; the feed hands them to its followers in order and exactly once: a repeat is
 * dropped, and a gap (an event the bus lost, or published by a replica that crashed first) is filled
 * from the outbox before the event after it. A tail check fills gaps at the end of the stream too.
 * A follower may resume after a cursor: it replays from the outbox at its own pace, then joins live.
 * While the bus is unreachable, followers end with `EventsUnavailable` naming their resume cursor.
 */
export class EventFeed implements EventSource {
  #last = 0;
  readonly #followers = new Set<Follower>();
  /**
   * The followers whose patterns match a subject, by subject, rebuilt when followers come or go:
   * an event is matched against every follower's patterns once per subject, not once per event
   * (with a thousand subscribers that matching was the hub's busiest function).
   */
  readonly #routes = new Map<string, Follower[]>();
  #chain: Promise<unknown> = Promise.resolve();
  #available = true;
  #stopped = false;
  #inbox: BusSubscription | null = null;
  #reader: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #unwatch: () => void = () => {};
  #quietSince = Date.now();
  #storeFailing = false;

  constructor(
    private readonly db: Database,
    private readonly bus: MessageBus,
    private readonly log: Log = console,
    private readonly tailCheckMs = 1000,
  ) {}

  get subjects(): Subjects {
    return this.bus.subjects;
  }

  async start(): Promise<void> {
    this.#unwatch = this.bus.onReachability((reachable) => this.#reachability(reachable));
    this.#inbox = this.#openInbox();
    this.#last = (await retainedRange(this.db.em.fork())).newest;
    this.#reader = this.#read();
    const tick = () => {
      this.#timer = setTimeout(() => {
        if (this.#stopped) return;
        if (Date.now() - this.#quietSince >= this.tailCheckMs) void this.#exclusive(() => this.#checkTail());
        tick();
      }, this.tailCheckMs);
      this.#timer.unref?.();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unwatch();
    if (this.#timer) clearTimeout(this.#timer);
    this.#inbox?.close();
    await this.#reader;
    await this.#chain.catch(() => {});
    for (const f of this.#followers) f.queue.close();
  }

  /**
   * Events on subjects matching `patterns`, live, or from after a sequence number first. A subscriber
   * whose queue fills up is not dropped: it goes back to reading from the outbox at its own pace, from
   * the last event it took, and joins live again once it has caught up (only live-only figures, such
   * as OEE updates, are skipped meanwhile). Only a socket that stops reading is closed (graphql/ws.ts).
   */
  subscribe(patterns: string[], options: FeedOptions = {}): BusSubscription {
    const { after = null, queue: queueOptions, survivesOutage = false } = options;
    if (!this.#available && !survivesOutage) throw eventsUnavailable(after === null ? null : encodeCursor(after));
    let failed = false;
    let behind = false;
    let closed = false;
    /** The sequence number of what this subscriber has been given: its resume cursor. */
    let given = after ?? this.#last;
    const newFollower = (): Follower => {
      const follower: Follower = {
        patterns,
        last: this.#last,
        queue: createSubscriptionQueue(() => this.#unfollow(follower), {
          limit: queueOptions?.limit ?? 1000,
          onOverflow: () => (behind = true),
        }),
        survivesOutage,
        fail: () => {
          failed = true;
          follower.queue.close();
        },
      };
      return follower;
    };
    let follower = newFollower();
    const matches = (m: BusMessage) => patterns.some((p) => subjectMatches(p, m.subject));
    /** While resuming: the replayed events not yet taken, and how far the replay has read. */
    let replay: Replay | null = null;
    if (after === null) this.#follow(follower);
    else replay = { messages: [], position: after, checked: false };
    const iterator: BusSubscription = {
      next: async () => {
        for (;;) {
          while (replay) {
            const m = replay.messages.shift();
            if (m) {
              given = seqOf(m) ?? given;
              return { done: false, value: m };
            }
            if (closed) return { done: true, value: undefined };
            if (!this.#available && !survivesOutage) throw eventsUnavailable(encodeCursor(given));
            if (!(await this.#replayPage(replay, matches, follower))) replay = null;
          }
          const r = await follower.queue.next();
          if (!r.done) {
            given = seqOf(r.value) ?? given;
            return r;
          }
          if (failed) throw eventsUnavailable(encodeCursor(given));
          if (!behind || closed) return r;
          behind = false;
          follower = newFollower();
          replay = { messages: [], position: given, checked: true };
        }
      },
      return: async () => {
        iterator.close();
        return { done: true, value: undefined };
      },
      close: () => {
        closed = true;
        replay = null;
        follower.queue.close();
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * Reads a resuming subscriber's replay on until it has events for it (true), or has caught up
   * (false): then, with the feed held still, the rest up to the feed's position goes into its queue
   * and it joins the live followers.
   */
  async #replayPage(replay: Replay, matches: (m: BusMessage) => boolean, follower: Follower): Promise<boolean> {
    const em = this.db.em.fork();
    if (!replay.checked) {
      const { oldest, newest } = await retainedRange(em);
      // Older than what is kept, or not a cursor of this installation's events.
      if (replay.position + 1 < oldest || replay.position > newest) throw cursorExpired(encodeCursor(oldest - 1));
      replay.checked = true;
    }
    for (;;) {
      const page = await readEvents(em, replay.position, PAGE);
      if (page.length < PAGE) break;
      replay.position = page.at(-1)!.seq;
      replay.messages = page.map(toMessage).filter(matches);
      if (replay.messages.length) return true;
    }
    await this.#exclusive(async () => {
      const rest = await readEvents(this.db.em.fork(), replay.position, Number.MAX_SAFE_INTEGER, this.#last);
      // Joined before the rest is queued: should it overflow the queue, closing removes it again.
      follower.last = Math.max(replay.position, this.#last);
      this.#follow(follower);
      for (const e of rest) {
        const m = toMessage(e);
        if (matches(m)) follower.queue.push(m);
      }
    });
    return false;
  }

  /**
   * Events this replica sequenced, straight from its relay: its subscribers get them without the
   * round trip through the bus, and the bus does not bring them back to the inbox (the relay
   * publishes them with `publishEvents`, ADR 0063). Should one come back all the same (a relay
   * without this hand-over), it is dropped by its sequence number, so no follower gets one twice.
   */
  deliverLocally(messages: BusMessage[]): void {
    if (this.#stopped || !messages.length) return;
    void this.#exclusive(async () => {
      let sliceStart = performance.now();
      for (const m of messages) {
        // In order, the usual case, an event is handed on at once: an await only for a gap to fill.
        const filling = this.#receive(m);
        if (filling) await filling;
        // A round (up to a thousand events) fans out to every subscriber in microtasks: between
        // slices of it the ingest, the bus and the sockets get their turn (issue 15: the store
        // fell behind while one round's fan-out held the event loop for hundreds of milliseconds).
        if (performance.now() - sliceStart > SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          sliceStart = performance.now();
        }
      }
    });
  }

  #openInbox(): BusSubscription {
    // Everything on the event subjects except this replica's relayed events, which came in process:
    // other replicas' events, and those without a number (live OEE figures, published here too).
    return this.bus.subscribeExceptOwnEvents([`${this.bus.subjects.namespace}.event.>`], {
      limit: INBOX_LIMIT,
      onOverflow: () => this.log.warn('[events] the feed fell behind; filling from the outbox'),
    });
  }

  async #read(): Promise<void> {
    while (!this.#stopped) {
      const inbox = this.#inbox ?? this.#openInbox();
      for await (const m of inbox) {
        // Events already given (filled from the outbox before the bus brought them, or relayed
        // here without the hand-over): dropped here, without a turn through the exclusive chain (a
        // promise pair each). `#last` only grows, so what is behind it now stays behind it.
        const seq = seqOf(m);
        if (seq !== null && seq <= this.#last) {
          this.#quietSince = Date.now();
          continue;
        }
        await this.#exclusive(async () => this.#receive(m));
      }
      this.#inbox = this.#stopped ? null : this.#openInbox();
    }
  }

  /** Hands `m` on, at once or (after a gap) once the gap is filled: then the promise of that. */
  #receive(m: BusMessage): Promise<void> | undefined {
    this.#quietSince = Date.now();
    const seq = seqOf(m);
    if (seq === null) this.#dispatch(m, null); // not from the outbox (e.g. live OEE figures)
    if (seq === null || seq <= this.#last) return;
    if (seq > this.#last + 1) return this.#fill(seq - 1).then(() => this.#dispatch(m, seq));
    this.#dispatch(m, seq);
  }

  /** Hands the events up to `through` to the followers from the outbox (or skips them when none follow). */
  async #fill(through: number): Promise<void> {
    if (!this.#followers.size) {
      this.#last = Math.max(this.#last, through);
      return;
    }
    for (let attempt = 0; this.#last < through && !this.#stopped; attempt++) {
      try {
        const page = await readEvents(this.db.em.fork(), this.#last, PAGE, through);
        if (!page.length) break; // pruned meanwhile: nothing left to give
        for (const e of page) this.#dispatch(toMessage(e), e.seq);
        this.#storeFailing = false;
      } catch (err) {
        if (!this.#storeFailing) this.log.warn(`[events] cannot read the outbox (${(err as Error).message}); retrying`);
        this.#storeFailing = true;
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(attempt, 6))));
      }
    }
  }

  async #checkTail(): Promise<void> {
    try {
      const { newest } = await retainedRange(this.db.em.fork());
      if (newest > this.#last) await this.#fill(newest);
    } catch {
      // The database is unreachable: the next check tries again.
    }
  }

  #dispatch(m: BusMessage, seq: number | null): void {
    if (seq !== null) this.#last = seq;
    for (const f of this.#routeOf(m.subject)) {
      if (seq !== null && seq <= f.last) continue;
      if (seq !== null) f.last = seq;
      f.queue.push(m);
    }
  }

  #routeOf(subject: string): Follower[] {
    let route = this.#routes.get(subject);
    if (!route) {
      route = [...this.#followers].filter((f) => f.patterns.some((p) => subjectMatches(p, subject)));
      if (this.#routes.size >= MAX_ROUTES) this.#routes.clear();
      this.#routes.set(subject, route);
    }
    return route;
  }

  #follow(follower: Follower): void {
    this.#followers.add(follower);
    this.#routes.clear();
  }

  #unfollow(follower: Follower): void {
    if (this.#followers.delete(follower)) this.#routes.clear();
  }

  #reachability(reachable: boolean): void {
    this.#available = reachable;
    if (reachable) {
      this.log.log('[events] the bus is reachable again; subscribers may resume with their cursors');
      return;
    }
    this.log.warn('[events] the bus is unreachable; ending subscriptions with their resume cursors');
    for (const f of this.#followers) if (!f.survivesOutage) f.fail();
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => {});
    return run;
  }
}

function seqOf(m: BusMessage): number | null {
  const seq = (m.data as { seq?: unknown } | null)?.seq;
  return typeof seq === 'number' ? seq : null;
}
