import {
  classifyError,
  type ConnectorRuntime,
  type HubClient,
  type InboundEndpoint,
  type InboundJob,
  type OutboundHandler,
  type StreamHealth,
} from '@plantgraph/connector-sdk';
import { type ConnectorDelivery, ConnectorInstance, Permission } from '@plantgraph/schema';
import type { HubConfig } from '../../config.js';
import type { HubLog } from '../../extensions.js';
import type { Database } from '../../infrastructure/database/database.js';
import type { BusSubscription, MessageBus } from '../../infrastructure/bus/message-bus.js';
import { type Lease, LocalLease, PostgresLease } from '../../infrastructure/database/lease.js';
import {
  type JobCounts,
  type JobQueue,
  JobRateLimitedError,
  type JobWorker,
  PermanentJobError,
  type RunningJob,
} from '../../infrastructure/queue/job-queue.js';
import type { ExecuteOperation } from '../../graphql/execute.js';
import type { SignalIntake } from '../../graphql/signal-intake.js';
import { type Principal, within } from '../../core/principal.js';
import { connectorPrincipal } from './connector-access.js';
import type { ConnectorLedger } from './connector-ledger.js';
import type { ConnectorRuntimePort, ConnectorService } from './connector.service.js';
import type { DeliveryEventSource } from './event-source.js';
import type { SecretBox } from './secrets.js';
import { StreamSupervisor } from './connector-streams.js';
import { ConnectorKeyValueStore } from './connector-store.js';
import { settleUnknownOutcome, unknownOutcomeNote } from './unknown-outcome.js';

interface Running {
  instance: ConnectorInstance;
  principal: Principal;
  runtime: ConnectorRuntime;
  outbound: JobWorker | null;
  inbound: JobWorker | null;
  /** Its inbound streams, open while this replica holds the lease. */
  streams: StreamSupervisor | null;
  lastPollAt: number;
  lastHealthAt: number;
}

type DeliveryJob = { delivery: string };
/** How often each replica reads the instances when no change event came (a missed event, a bus outage). */
const SYNC_EVERY_MS = 30_000;
/** Deliveries of one connector at once on one replica, whatever the connector asks for. */
const MAX_CONCURRENCY = 32;
/** How long one poll job goes on with further pages before it leaves the rest to a new job. */
const POLL_JOB_MS = 10_000;
const DELIVERY_JOB = { attempts: 10, backoff: { type: 'exponential' as const, delayMs: 1000, jitter: 0.5 } };

export interface ConnectorHostOptions {
  config: HubConfig;
  db: Database;
  bus: MessageBus;
  jobs: JobQueue;
  service: ConnectorService;
  ledger: ConnectorLedger;
  box: SecretBox;
  source: DeliveryEventSource;
  execute: ExecuteOperation;
  /** The connectors' direct door for signals (`publishSignals` without GraphQL). */
  intake: SignalIntake;
  log: HubLog;
}

/**
 * Runs the enabled connector instances: on every replica their outbound workers (each delivery runs on
 * one replica; the ledger makes a rerun harmless); on the lease holder alone their pollers, the relay
 * from hub events to deliveries, the sweep for deliveries without a job, and health checks.
 */
export class ConnectorHost implements ConnectorRuntimePort {
  readonly #running = new Map<string, Running>();
  readonly #lease: Lease;
  #leader = false;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> = Promise.resolve();
  #lastSweep = 0;
  #syncing: Promise<void> = Promise.resolve();
  #lastSync = 0;
  #changes: BusSubscription | null = null;
  #closed = false;

  constructor(private readonly o: ConnectorHostOptions) {
    this.#lease = o.config.databaseUrl
      ? new PostgresLease(o.config.databaseUrl, 'plantgraph:connectors', 'connectors', o.log)
      : new LocalLease();
  }

  async start(): Promise<void> {
    await this.o.box.ready();
    this.o.service.runtime = this;
    await this.#lease.start(async (leader) => {
      this.#leader = leader;
      // The database may be what took the lease away: a failed sync is retried by the periodic one.
      await this.sync().catch((err: Error) => this.o.log.warn(`[connectors] sync failed: ${err.message}`));
    });
    await this.sync();
    // A change saved on any replica syncs this one at once; the periodic sync catches a missed event.
    this.#changes = this.o.bus.subscribe([this.o.bus.subjects.connectorChangedAll()]);
    void (async () => {
      for (let r = await this.#changes!.next(); !r.done; r = await this.#changes!.next()) {
        const { type } = r.value.data as { type?: string };
        if (type && !type.startsWith('ConnectorDelivery') && !type.startsWith('ConnectorImport'))
          await this.sync().catch(() => {});
      }
    })();
    this.#timer = setInterval(() => {
      this.#ticking = this.#ticking
        .then(() => this.tick())
        .catch((err: Error) => {
          this.o.log.warn(`[connectors] ${err.message}`);
        });
    }, this.o.config.connectors.relayIntervalMs);
  }

  private async tick(): Promise<void> {
    if (this.#closed) return;
    // Without running connectors the hub stays quiet: a sync every 30 s, nothing else.
    if (Date.now() - this.#lastSync >= SYNC_EVERY_MS) await this.sync();
    if (!this.#leader || !this.#running.size) return;
    const sweep = Date.now() - this.#lastSweep > Math.min(5000, this.o.config.connectors.sweepAfterMs);
    if (sweep) this.#lastSweep = Date.now();
    for (const r of this.#running.values()) {
      await this.relay(r).catch((err: Error) =>
        this.o.log.warn(`[connectors] ${r.instance.name}: relay: ${err.message}`),
      );
      if (sweep) await this.sweep(r).catch(() => {});
      await this.schedulePoll(r).catch(() => {});
      if (Date.now() - r.lastHealthAt >= this.o.config.connectors.healthIntervalMs)
        await this.test(r.instance.name).catch(() => {});
    }
  }

  /** Starts, restarts (settings changed) and stops instances as the database says; one sync at a time. */
  sync(): Promise<void> {
    const next = this.#syncing.then(() => this.syncNow());
    this.#syncing = next.catch(() => {});
    return next;
  }

  private async syncNow(): Promise<void> {
    this.#lastSync = Date.now();
    const rows = await this.o.db.em.fork().find(ConnectorInstance, {});
    const wanted = new Map(
      rows.filter((r) => r.enabled && this.o.service.registry.get(r.type)).map((r) => [r.name, r]),
    );
    for (const [name, r] of this.#running) {
      const row = wanted.get(name);
      if (!row || row.settingsVersion !== r.instance.settingsVersion) await this.stop(name);
    }
    for (const [name, row] of wanted) {
      if (!this.#running.has(name))
        await this.launch(row).catch((err: Error) => this.o.ledger.recordError(name, err.message));
      const r = this.#running.get(name);
      if (r) {
        r.instance = row;
        await this.inboundWorker(r);
      }
    }
  }

  private async launch(row: ConnectorInstance): Promise<void> {
    const definition = this.o.service.registry.get(row.type)!;
    const principal = connectorPrincipal(row.name, row.grants);
    const hub: HubClient = {
      graphql: (q, v) => this.o.execute(principal, q, v) as never,
      publishSignals: (signals) => this.o.intake(principal, signals) as never,
    };
    const settings = { ...row.settings, ...(await this.o.box.open(row.secrets)) };
    const log = {
      log: (m: string) => this.o.log.log(`[connector ${row.name}] ${m}`),
      warn: (m: string) => this.o.log.warn(`[connector ${row.name}] ${m}`),
    };
    const store = new ConnectorKeyValueStore(this.o.db, this.o.box, row.name);
    const runtime = definition.create({ name: row.name, settings, hub, log, store });
    const r: Running = {
      instance: row,
      principal,
      runtime,
      outbound: null,
      inbound: null,
      streams:
        runtime.streams && Object.keys(runtime.streams).length
          ? new StreamSupervisor({
              connector: row.name,
              streams: runtime.streams,
              log: this.o.log,
              recordError: (message) => this.o.ledger.recordError(row.name, message),
            })
          : null,
      lastPollAt: 0,
      lastHealthAt: 0,
    };
    if (runtime.outbound && Object.keys(runtime.outbound).length) {
      r.outbound = this.o.jobs.queue<DeliveryJob>(outboundQueue(row.name)).process((job) => this.deliver(r, job), {
        concurrency: Math.min(MAX_CONCURRENCY, Math.max(1, Math.floor(runtime.outboundConcurrency ?? 4))),
        onFinalFailure: ({ job, error, permanent }) =>
          this.o.ledger.deadLettered(job.data.delivery, error, permanent ? 'permanent' : null),
      });
    }
    this.#running.set(row.name, r);
  }

  /**
   * Inbound jobs and streams run on the lease holder only: one poll at a time, so polls never race on
   * the cursor, and one open stream per instance in the installation.
   */
  private async inboundWorker(r: Running): Promise<void> {
    if (this.#leader) r.streams?.start();
    else await r.streams?.stop();
    if (this.#leader && !r.inbound && pollingJob(r.runtime)) {
      r.inbound = this.o.jobs.queue(inboundQueue(r.instance.name)).process(() => this.poll(r), { concurrency: 1 });
    } else if (!this.#leader && r.inbound) {
      await r.inbound.close();
      r.inbound = null;
    }
  }

  private async stop(name: string): Promise<void> {
    const r = this.#running.get(name);
    this.#running.delete(name);
    await r?.streams?.stop();
    await r?.outbound?.close();
    await r?.inbound?.close();
    await r?.runtime.close?.();
  }

  private async deliver(r: Running, job: RunningJob<DeliveryJob>): Promise<void> {
    const started = await this.o.ledger.startAttempt(job.data.delivery, job.attempt);
    if (!started) return;
    const { delivery, lastFailure } = started;
    const handler: OutboundHandler | undefined = r.runtime.outbound?.[delivery.eventType];
    if (!handler) {
      await this.o.ledger.delivered(delivery.id, { externalReference: null, reconciled: false, skipped: 'no handler' });
      return;
    }
    // A replay of a delivered row also says `ambiguous` (attempt 1, not cut off): long settled, no wait.
    const unknown = lastFailure === 'ambiguous' && (job.attempt > 1 || started.cutOff);
    const waitedMs = unknown
      ? await settleUnknownOutcome(this.o.log, r.instance.name, r.runtime, delivery, started.previousAttemptAt)
      : 0;
    let result: Awaited<ReturnType<OutboundHandler['deliver']>>;
    try {
      result = await handler.deliver({
        key: delivery.idempotencyKey,
        event: {
          id: delivery.eventId,
          seq: delivery.eventSeq,
          type: delivery.eventType,
          key: delivery.eventKey,
          path: delivery.eventPath ?? null,
          record: delivery.eventRecord ?? null,
          at: delivery.eventAt.toISOString(),
        },
        attempt: job.attempt,
        lastFailure,
      });
    } catch (err) {
      const e = classifyError(err);
      await this.o.ledger.attemptFailed(delivery, e.kind, e.message);
      if (e.kind === 'permanent') throw new PermanentJobError(e.message);
      if (e.kind === 'rate-limited') throw new JobRateLimitedError(e.retryAfterMs ?? 1000, e.message);
      throw new Error(e.message);
    }
    const note =
      unknown && !result.skipped ? unknownOutcomeNote(r.instance.name, delivery, result, waitedMs) : undefined;
    if (note) this.o.log.log(`[connectors] ${note}`);
    await this.o.ledger.delivered(delivery.id, result, note);
  }

  /**
   * Polls page after page while the connector says more is waiting, within one job (a job per page spent
   * the queue's round trips between pages); after a few seconds the rest goes to a new job, so one
   * backlog does not hold the worker. A page's outcomes and the cursor after it are recorded while the
   * next page is imported: its cursor is stored only once its own outcomes are, so a poll cut off
   * anywhere starts again from a page whose import may have got in, which then comes back Unchanged.
   */
  private async poll(r: Running): Promise<void> {
    const job = pollingJob(r.runtime)!;
    const { name } = r.instance;
    const until = Date.now() + POLL_JOB_MS;
    const [fresh] = await this.o.db.em.fork().find(ConnectorInstance, { id: r.instance.id });
    if (!fresh) return;
    let cursor = fresh.inboundCursor ?? null;
    let recording: Promise<void> = Promise.resolve();
    for (;;) {
      let result: Awaited<ReturnType<NonNullable<InboundJob['poll']>>>;
      try {
        result = await job.poll!(cursor);
      } catch (err) {
        await recording.catch(() => {}); // its own failure is retried with the job
        const e = classifyError(err);
        await this.o.ledger.recordError(name, e.message);
        if (e.kind === 'permanent') throw new PermanentJobError(e.message);
        if (e.kind === 'rate-limited') throw new JobRateLimitedError(e.retryAfterMs ?? 1000, e.message);
        throw new Error(e.message);
      }
      await recording;
      recording = this.o.ledger.recordImports(name, result.outcomes, result.cursor);
      recording.catch(() => {}); // awaited below; until then a failure must not count as unhandled
      if (!result.more) return recording;
      if (this.#closed || !this.#leader || this.#running.get(name) !== r || Date.now() >= until) {
        await recording;
        await this.pollNow(name);
        return;
      }
      cursor = result.cursor;
    }
  }

  private async schedulePoll(r: Running): Promise<void> {
    const every = r.runtime.pollIntervalMs ?? 0;
    if (!every || !pollingJob(r.runtime) || Date.now() - r.lastPollAt < every) return;
    r.lastPollAt = Date.now();
    await this.o.jobs
      .queue(inboundQueue(r.instance.name))
      .add({ id: `poll-${Math.floor(Date.now() / every)}`, name: 'poll', data: {}, attempts: 3 });
  }

  /** New hub events the connector handles, in its scope and sight, become ledger rows and jobs. */
  private async relay(r: Running): Promise<void> {
    const types = Object.keys(r.runtime.outbound ?? {});
    if (!types.length) return;
    const em = this.o.db.em.fork();
    const [fresh] = await em.find(ConnectorInstance, { id: r.instance.id });
    if (!fresh) return;
    const { events, through, oldest } = await this.o.source.read(em, fresh.eventCursor, types, 500);
    if (through === fresh.eventCursor) return;
    if (Number(oldest) > Number(fresh.eventCursor) + 1)
      await this.o.ledger.recordError(
        fresh.name,
        `events ${Number(fresh.eventCursor) + 1}-${Number(oldest) - 1} were pruned from the outbox ` +
          'before this connector relayed them',
      );
    const { scope } = fresh;
    const mine = events.filter((e) => e.path && within(e.path, scope) && r.principal.can(Permission.Read, e.path));
    const created = await this.o.ledger.relay(fresh, mine, through);
    const queue = this.o.jobs.queue<DeliveryJob>(outboundQueue(fresh.name));
    // A failed add (the queue away) leaves the row Pending: the sweep queues it later.
    for (const id of created) {
      try {
        await queue.add({ id: `${id}.0`, name: 'deliver', data: { delivery: id }, ...DELIVERY_JOB });
      } catch (err) {
        this.o.log.warn(`[connectors] ${fresh.name}: queueing delivery ${id} failed (${(err as Error).message})`);
      }
    }
  }

  /** Deliveries whose job was never added (a crash after the relay's commit) or was lost. */
  private async sweep(r: Running): Promise<void> {
    for (const d of await this.o.ledger.unfinished(r.instance.id, this.o.config.connectors.sweepAfterMs))
      await this.enqueue(d);
  }

  async enqueue(delivery: ConnectorDelivery): Promise<void> {
    await this.o.jobs.queue<DeliveryJob>(outboundQueue(delivery.connector)).add({
      id: `${delivery.id}.${delivery.replays}`,
      name: 'deliver',
      data: { delivery: delivery.id },
      ...DELIVERY_JOB,
    });
  }

  async test(name: string): Promise<void> {
    const r = await this.running(name);
    r.lastHealthAt = Date.now();
    const started = performance.now();
    try {
      const check = await r.runtime.testConnection();
      await this.o.ledger.recordHealth(name, {
        ok: true,
        message: check.detail ?? null,
        roundTripMs: check.roundTripMs,
      });
    } catch (err) {
      const message = classifyError(err).message;
      await this.o.ledger.recordHealth(name, {
        ok: false,
        message,
        roundTripMs: Math.round(performance.now() - started),
      });
    }
  }

  async pollNow(name: string): Promise<void> {
    await this.running(name);
    await this.o.jobs
      .queue(inboundQueue(name))
      .add({ id: `poll-now-${Date.now()}`, name: 'poll', data: {}, attempts: 3 });
  }

  async importOne(name: string, reference: string): Promise<void> {
    const job = Object.values((await this.running(name)).runtime.inbound ?? {}).find((j) => j.importOne);
    if (!job) throw new Error(`Connector ${name} cannot import single records.`);
    try {
      await this.o.ledger.recordImports(name, [await job.importOne!(reference)]);
    } catch (err) {
      const e = classifyError(err);
      await this.o.ledger.recordError(name, e.message);
      throw new Error(`Import of ${reference} failed (${e.kind}): ${e.message}`);
    }
  }

  async browse(name: string, nodeId: string | null) {
    const r = await this.running(name);
    if (!r.runtime.browse) throw new Error(`a ${r.instance.type} connector has no address space to browse.`);
    return r.runtime.browse(nodeId ?? undefined);
  }

  /** Its streams' connections while they are open on this replica (the lease holder); else null. */
  streamHealth(name: string): StreamHealth[] | null {
    const r = this.#running.get(name);
    return r?.streams?.running && r.runtime.streamHealth ? r.runtime.streamHealth() : null;
  }

  /** A running instance's HTTP endpoint with the instance's scope; null when it runs none by that name here. */
  endpoint(name: string, endpoint: string): { scope: string; handler: InboundEndpoint } | null {
    const r = this.#running.get(name);
    const handler = r?.runtime.endpoints?.[endpoint];
    if (!r || !handler || !Object.hasOwn(r.runtime.endpoints!, endpoint)) return null;
    // The outcomes a request carried go to the import log as a poll's do, so both transports leave the
    // same rows; they are recorded before the answer goes out, so a sender that saw it can read them.
    const recorded: InboundEndpoint = {
      ...handler,
      handle: async (request) => {
        const answer = await handler.handle(request);
        // A repeated request (a webhook sent twice) may record its first outcome at the same moment as
        // the original and lose the insert race: recorded again, it updates the row the other made.
        const record = () => this.o.ledger.recordImports(name, answer.outcomes!);
        if (answer.outcomes?.length) await record().catch(record);
        return answer;
      },
    };
    return { scope: r.instance.scope, handler: recorded };
  }

  /** Every connector running on this replica with its jobs by state. */
  async jobCounts(): Promise<{ connector: string; counts: Record<string, number> }[]> {
    const names = [...this.#running.keys()];
    const counts = await Promise.all(names.map((name) => this.queueCounts(name)));
    return names.flatMap((connector, i) => (counts[i] ? [{ connector, counts: { ...counts[i] } }] : []));
  }

  async queueCounts(name: string): Promise<JobCounts | null> {
    if (!this.#running.has(name)) return null;
    const [out, inn] = await Promise.all([
      this.o.jobs.queue(outboundQueue(name)).counts(),
      this.o.jobs.queue(inboundQueue(name)).counts(),
    ]);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v + inn[k as keyof JobCounts]])) as never;
  }

  /** The running instance; a change saved a moment ago (here or on another replica) is synced first. */
  private async running(name: string): Promise<Running> {
    if (!this.#running.has(name)) await this.sync();
    const r = this.#running.get(name);
    if (!r) throw new Error(`Connector ${name} is not running on this hub (disabled, or its type is not installed).`);
    return r;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#changes?.close();
    await this.#ticking.catch(() => {});
    await this.#lease.stop();
    for (const name of [...this.#running.keys()]) await this.stop(name);
    this.o.service.runtime = null;
  }
}

const outboundQueue = (name: string) => `connector.${name}.outbound`;
const inboundQueue = (name: string) => `connector.${name}.inbound`;
const pollingJob = (runtime: ConnectorRuntime) => Object.values(runtime.inbound ?? {}).find((j) => j.poll);
