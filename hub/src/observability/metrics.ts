import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IngestStatistics } from '../modules/signals/signals.types.js';

/** What the hub hands its metrics to read at each scrape (live values, not copies). */
export interface MetricSources {
  ingest: IngestStatistics;
  /** Signals on the bus not yet settled by this hub's ingest (JetStream pending + unacknowledged); null unknown. */
  signalBacklog(): Promise<number | null>;
  /** Open graphql-ws sockets on this replica. */
  sockets(): number;
  /** Whether this replica runs the flows, whether their process is up, how many processes took over. */
  flows: { leader(): boolean; running(): boolean; starts(): number } | null;
  /** Each running connector's jobs by state (waiting, active, delayed, failed, …). */
  connectorJobs(): Promise<{ connector: string; counts: Record<string, number> }[]>;
  /** Each connector's deliveries in the ledger by state (Pending, Delivering, Delivered, DeadLetter, …). */
  connectorDeliveries(): Promise<{ connector: string; state: string; count: number }[]>;
  /** The PostgreSQL pool's connections; null on the embedded database (one in-process connection). */
  databasePool(): { total: number; idle: number; waiting: number } | null;
}

/** Operation names are the clients' to choose: past this many, new ones are counted as `other`. */
const MAX_OPERATION_NAMES = 200;
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** The hub's own routes; anything else (scanners, typos) is one label, so paths cannot grow the series. */
const ROUTES = [
  '/graphql',
  '/ide',
  '/healthz',
  '/readyz',
  '/metrics',
  '/flows',
  '/flows-http',
  '/dev-idp',
  '/connectors',
  '/',
];

/**
 * The hub's Prometheus metrics (prom-client), in a registry of its own per hub (two hubs in one
 * process, as in tests, do not share series). Request and operation latencies are observed as they
 * happen; everything else is read from the hub's live state when Prometheus scrapes `/metrics`.
 */
export class HubMetrics {
  readonly registry = new Registry();
  readonly #operationNames = new Set<string>();
  readonly #requests: Histogram<'method' | 'route' | 'status'>;
  readonly #operations: Histogram<'operation' | 'type'>;
  readonly #errors: Counter<'operation' | 'code'>;

  constructor(private readonly sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'plantgraph_' });
    this.#requests = new Histogram({
      name: 'plantgraph_http_request_duration_seconds',
      help: 'HTTP requests by route, method and status, from the first byte to the last byte of the response.',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#operations = new Histogram({
      name: 'plantgraph_graphql_operation_duration_seconds',
      help: 'GraphQL queries and mutations over HTTP by operation name (anonymous ones as "anonymous").',
      labelNames: ['operation', 'type'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#errors = new Counter({
      name: 'plantgraph_graphql_errors_total',
      help: 'GraphQL errors by operation name and code (extensions.code), refusals before execution included.',
      labelNames: ['operation', 'code'],
      registers,
    });
    this.#ingestMetrics(registers);
    this.#stateMetrics(registers);
  }

  /** Times one HTTP request; `path` is the request's path without its query. */
  observeRequest(req: IncomingMessage, res: ServerResponse, path: string): void {
    const end = this.#requests.startTimer({ method: req.method ?? 'GET', route: routeOf(path) });
    res.once('finish', () => end({ status: String(res.statusCode) }));
  }

  /** One executed operation: its name (capped), type, duration and the codes of its errors. */
  observeOperation(name: string | null | undefined, type: string, seconds: number, errorCodes: string[]): void {
    const operation = this.#operationLabel(name);
    this.#operations.observe({ operation, type }, seconds);
    for (const code of errorCodes) this.#errors.inc({ operation, code });
  }

  /** One operation refused before it ran (parse, validation, variables, cost): its errors by code. */
  observeRefusal(name: string | null, errorCodes: string[]): void {
    const operation = this.#operationLabel(name);
    for (const code of errorCodes) this.#errors.inc({ operation, code });
  }

  /** Answers a scrape in Prometheus' text format. */
  async serve(res: ServerResponse): Promise<void> {
    const body = await this.registry.metrics();
    res.writeHead(200, { 'Content-Type': this.registry.contentType, 'Cache-Control': 'no-store' });
    res.end(body);
  }

  #operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (this.#operationNames.has(name)) return name;
    if (this.#operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    this.#operationNames.add(name);
    return name;
  }

  #ingestMetrics(registers: Registry[]): void {
    const stats = this.sources.ingest;
    new Counter({
      name: 'plantgraph_ingest_signals_total',
      help: 'Equipment signals settled by the ingest, by outcome.',
      labelNames: ['outcome'],
      registers,
      collect() {
        this.reset();
        this.inc({ outcome: 'stored' }, stats.stored);
        this.inc({ outcome: 'duplicate' }, stats.duplicates);
        this.inc({ outcome: 'rejected_invalid' }, stats.rejectedInvalid);
        this.inc({ outcome: 'rejected_unknown_equipment' }, stats.rejectedUnknownEquipment);
      },
    });
    new Counter({
      name: 'plantgraph_ingest_batches_total',
      help: 'Ingest batches, by result (a failed batch is retried after a pause; its signals stay on the bus).',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        this.inc({ result: 'stored' }, stats.batches);
        this.inc({ result: 'failed' }, stats.failedBatches);
      },
    });
    const backlog = this.sources.signalBacklog;
    new Gauge({
      name: 'plantgraph_ingest_backlog_signals',
      help: 'Signals waiting on the bus for this installation’s ingest (JetStream pending plus unacknowledged).',
      registers,
      async collect() {
        const pending = await backlog().catch(() => null);
        if (pending === null) this.reset();
        else this.set(pending);
      },
    });
    new Gauge({
      name: 'plantgraph_ingest_last_batch_age_seconds',
      help: 'Seconds since the ingest last stored a batch (absent before the first one).',
      registers,
      collect() {
        if (stats.lastBatchAt) this.set((Date.now() - stats.lastBatchAt.getTime()) / 1000);
        else this.reset();
      },
    });
  }

  #stateMetrics(registers: Registry[]): void {
    const s = this.sources;
    new Gauge({
      name: 'plantgraph_websocket_sockets',
      help: 'Open graphql-ws sockets on this replica.',
      registers,
      collect() {
        this.set(s.sockets());
      },
    });
    new Gauge({
      name: 'plantgraph_flows_state',
      help: 'The flows on this replica: leader (1 when this replica runs them), process_up, process_starts.',
      labelNames: ['measure'],
      registers,
      collect() {
        this.reset();
        if (!s.flows) return;
        this.set({ measure: 'leader' }, s.flows.leader() ? 1 : 0);
        this.set({ measure: 'process_up' }, s.flows.running() ? 1 : 0);
        this.set({ measure: 'process_starts' }, s.flows.starts());
      },
    });
    new Gauge({
      name: 'plantgraph_connector_jobs',
      help: 'Jobs of each connector running on this replica, by state.',
      labelNames: ['connector', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const { connector, counts } of await s.connectorJobs())
          for (const [state, n] of Object.entries(counts)) this.set({ connector, state }, n);
      },
    });
    new Gauge({
      name: 'plantgraph_connector_deliveries',
      help: 'Deliveries in the connector ledger, by connector and state (DeadLetter: failed for good).',
      labelNames: ['connector', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const { connector, state, count } of await s.connectorDeliveries()) this.set({ connector, state }, count);
      },
    });
    new Gauge({
      name: 'plantgraph_database_pool_connections',
      help: 'PostgreSQL pool connections by state (total, idle, waiting clients); absent on the embedded database.',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        const pool = s.databasePool();
        if (!pool) return;
        this.set({ state: 'total' }, pool.total);
        this.set({ state: 'idle' }, pool.idle);
        this.set({ state: 'waiting' }, pool.waiting);
      },
    });
  }
}

/** The hub's route a path belongs to (`other` for anything else): few values, for labels and span names. */
export function routeOf(path: string): string {
  for (const route of ROUTES)
    if (route === '/' ? path === '/' : path === route || path.startsWith(`${route}/`)) return route;
  return 'other';
}
