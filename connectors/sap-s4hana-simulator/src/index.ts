// A simulator of SAP S/4HANA's production order and confirmation OData V2 services, for tests and the
// demo: node:http on 127.0.0.1, metadata files written for the fields PlantGraph uses, CSRF with session
// cookies as Gateway does it, $batch with atomic changesets, business validation and fault injection.
// No SAP code: the behaviour follows SAP's public API documentation.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseBatch, writeBatch, type BatchAnswer, type EmbeddedRequest } from './batch.js';
import { ConfirmationService, type DuplicatePolicy } from './confirmation-service.js';
import { CsrfSessions } from './csrf.js';
import { loadService, type Row } from './edm.js';
import { FaultPlan, type Fault, type FaultOptions, type ServiceName } from './faults.js';
import { ProductionOrderService } from './production-order-service.js';
import type { ServiceContext } from './query.js';
import { json, type ServiceHandler, type SimRequest, type SimResponse } from './resource.js';
import { sapErrorBody, SimError } from './sap-error.js';
import { seedOrders, type SeedOptions } from './seed.js';
import { SimStore, splitLocal, type MaterialSpec, type OrderSpec } from './store.js';

export type { Fault, FaultOptions, ServiceName, DuplicatePolicy, MaterialSpec, OrderSpec, SeedOptions, Row };

export interface SapSimulatorOptions {
  /** Basic authentication; without it every caller is let in. */
  credentials?: { user: string; password: string };
  /** What to do with a second confirmation carrying the same ExternalSystemConfirmation. Default "accept". */
  duplicates?: DuplicatePolicy;
  /** Gateway's server-side page limit (answers carry __next beyond it). */
  maxPageSize?: number;
  /** The loopback port to listen on, when free (another one otherwise). Default: any free port. */
  port?: number;
}

/** A stored confirmation (SAP field names) with its goods movements. */
export type ConfirmationView = Row & { goodsMovements: Row[] };

const ROOT = '/sap/opu/odata/sap';
const SERVICES: Record<string, ServiceName> = {
  API_PRODUCTION_ORDER_2_SRV: 'production-order',
  API_PROD_ORDER_CONFIRMATION_2_SRV: 'confirmation',
};
const MODIFYING = new Set(['POST', 'PUT', 'PATCH', 'MERGE', 'DELETE']);

export class SapSimulator {
  readonly store = new SimStore();
  readonly faults = new FaultPlan();
  readonly csrf = new CsrfSessions();
  readonly stats = { requests: 0, batches: 0 };
  duplicates: DuplicatePolicy;
  url = '';
  private readonly handlers = new Map<string, ServiceHandler>();
  private readonly server: http.Server;
  private readonly options: SapSimulatorOptions;

  private constructor(options: SapSimulatorOptions) {
    this.options = options;
    this.duplicates = options.duplicates ?? 'accept';
    const metadata = (name: string) => loadService(new URL(`../metadata/${name}.xml`, import.meta.url));
    this.handlers.set(
      'API_PRODUCTION_ORDER_2_SRV',
      new ProductionOrderService(metadata('API_PRODUCTION_ORDER_2_SRV'), this.store),
    );
    this.handlers.set(
      'API_PROD_ORDER_CONFIRMATION_2_SRV',
      new ConfirmationService(metadata('API_PROD_ORDER_CONFIRMATION_2_SRV'), this.store, {
        duplicates: () => this.duplicates,
        takeBusinessError: () => this.faults.takeBusinessError(),
        now: () => new Date(),
      }),
    );
    this.server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`simulator fault: ${String(error)}`);
      });
    });
  }

  static async start(options: SapSimulatorOptions = {}): Promise<SapSimulator> {
    const simulator = new SapSimulator(options);
    const listen = (port: number) =>
      new Promise<void>((resolve, reject) => {
        simulator.server.once('error', reject);
        simulator.server.listen(port, '127.0.0.1', () => {
          simulator.server.off('error', reject);
          resolve();
        });
      });
    await listen(options.port ?? 0).catch((err: NodeJS.ErrnoException) =>
      err.code === 'EADDRINUSE' && options.port ? listen(0) : Promise.reject(err),
    );
    simulator.url = `http://127.0.0.1:${(simulator.server.address() as AddressInfo).port}`;
    return simulator;
  }

  serviceUrl(service: ServiceName): string {
    const name = Object.entries(SERVICES).find(([, s]) => s === service)?.[0];
    return `${this.url}${ROOT}/${name}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- control ---

  inject(fault: Fault, options?: FaultOptions): void {
    this.faults.inject(fault, options);
  }

  setLatency(ms: number): void {
    this.faults.latencyMs = ms;
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Ends every session: the next modifying request with an old token gets 403 "Required". */
  expireCsrfTokens(): void {
    this.csrf.expireAll();
  }

  // --- data ---

  addMaterial(spec: MaterialSpec): void {
    this.store.addMaterial(spec);
  }

  addOrder(spec: OrderSpec): void {
    this.store.addOrder(spec);
  }

  /** N generated orders of M operations each (benchmarks); returns their numbers. */
  seedOrders(count: number, options?: SeedOptions): string[] {
    return seedOrders(this.store, count, options);
  }

  /** Changes an order as a planner in SAP would; its LastChangeDateTime moves on. */
  changeOrder(
    order: string,
    changes: { quantity?: number; plannedStart?: string; released?: boolean; markedForDeletion?: boolean },
  ): void {
    const record = this.store.orders.get(order);
    if (!record) throw new Error(`no order ${order}`);
    const changedAt = this.store.changeTime();
    const { header } = record;
    if (changes.quantity !== undefined) {
      header.TotalQuantity = changes.quantity;
      for (const op of record.operations) op.OpPlannedTotalQuantity = changes.quantity;
    }
    if (changes.plannedStart !== undefined)
      [header.MfgOrderPlannedStartDate, header.MfgOrderPlannedStartTime] = splitLocal(changes.plannedStart);
    if (changes.released !== undefined) header.OrderIsReleased = changes.released ? 'X' : '';
    if (changes.markedForDeletion !== undefined) header.OrderIsMarkedForDeletion = changes.markedForDeletion ? 'X' : '';
    header.LastChangeDateTime = changedAt;
    for (const op of record.operations) op.LastChangeDateTime = changedAt;
  }

  // --- inspection ---

  confirmations(): ConfirmationView[] {
    return this.store.confirmations.map((r) =>
      Object.assign({ ...r.row }, { goodsMovements: r.items.map((i) => ({ ...i })) }),
    );
  }

  /** Confirmations that count: neither reversed nor reversals. */
  liveConfirmations(): ConfirmationView[] {
    return this.confirmations().filter((c) => !c.IsReversed && !c.IsReversal);
  }

  goodsMovements(): Row[] {
    return this.store.confirmations.flatMap((r) => r.items.map((i) => ({ ...i })));
  }

  get counters() {
    return {
      ...this.stats,
      csrfFetches: this.csrf.fetches,
      csrfRejections: this.csrf.rejections,
      sessions: this.csrf.count,
      faultsTriggered: this.faults.triggered,
      faultsPending: this.faults.pending,
      orders: this.store.orders.size,
      confirmations: this.store.confirmations.length,
    };
  }

  // --- HTTP ---

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.stats.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (this.faults.latencyMs > 0) await sleep(this.faults.latencyMs);

    const url = new URL(req.url ?? '/', this.url);
    const method = (req.method ?? 'GET').toUpperCase();
    const match = new RegExp(`^${ROOT}/([^/]+)/?(.*)$`).exec(url.pathname);
    const handler = match ? this.handlers.get(match[1]) : undefined;
    if (!match || !handler)
      return send(res, method, { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Service not found' });
    const service = SERVICES[match[1]];
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
    );

    if (!this.authorized(headers.authorization)) {
      return send(res, method, {
        status: 401,
        headers: {
          'content-type': 'text/html',
          'www-authenticate': 'Basic realm="SAP NetWeaver Application Server [SIM/100]"',
        },
        body: '<html><head><title>Logon Error Message</title></head><body>Logon failed (simulated)</body></html>',
      });
    }
    const extra: Record<string, string | string[]> = {};
    const csrfFetch = (method === 'GET' || method === 'HEAD') && headers['x-csrf-token']?.toLowerCase() === 'fetch';
    if (csrfFetch) {
      const { token, setCookie } = this.csrf.fetch(headers.cookie);
      extra['x-csrf-token'] = token;
      if (setCookie) extra['set-cookie'] = setCookie;
    }
    if (MODIFYING.has(method) && !this.csrf.check(headers.cookie, headers['x-csrf-token'])) {
      return send(res, method, {
        status: 403,
        headers: { 'content-type': 'text/plain', 'x-csrf-token': 'Required' },
        body: 'CSRF token validation failed',
      });
    }

    const path = decodeURIComponent(match[2]);
    const fault = this.faults.takeTransportFault({ method, service, resource: path.split(/[(/?]/)[0], csrfFetch });
    if (fault?.kind === 'reset-before-commit') return void req.socket.destroy();
    if (fault?.kind === 'status') {
      const error = new SimError(fault.status, 'ZSIM/FAULT', fault.message ?? `Injected fault: HTTP ${fault.status}`);
      const response = json(
        fault.status,
        JSON.parse(sapErrorBody(error, match[1])),
        fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
      );
      return send(res, method, response);
    }

    const ctx: ServiceContext = {
      service: handler.service,
      root: `${this.url}${ROOT}/${match[1]}`,
      navigate: (type, row, navigation) => handler.navigate(type, row, navigation),
      maxPageSize: this.options.maxPageSize,
    };
    const response =
      path === '$batch' && method === 'POST'
        ? this.batch(handler, ctx, headers['content-type'] ?? '', body)
        : this.handle(handler, ctx, { method, path, query: url.searchParams, headers, body });
    if (fault?.kind === 'hang-after-commit') return; // applied; the answer never comes (closed with the server)
    if (fault?.kind === 'reset-after-commit') return void req.socket.destroy();
    send(res, method, { ...response, headers: { ...response.headers, ...(extra as Record<string, string>) } });
  }

  private authorized(header: string | undefined): boolean {
    const credentials = this.options.credentials;
    if (!credentials) return true;
    const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
    return header === expected;
  }

  /** One request of a service; SAP errors become SAP's error JSON. */
  private handle(handler: ServiceHandler, ctx: ServiceContext, request: SimRequest): SimResponse {
    try {
      if (request.path === '$metadata') {
        return {
          status: 200,
          headers: { 'content-type': 'application/xml', dataserviceversion: '2.0' },
          body: handler.service.xml,
        };
      }
      if (request.path === '') {
        return json(200, { d: { EntitySets: [...handler.service.sets.keys()] } });
      }
      const format = request.query.get('$format');
      if ((format && format !== 'json') || (!format && !(request.headers.accept ?? '').includes('json'))) {
        throw new SimError(
          406,
          '/IWBEP/CM_MGW_RT/011',
          'The simulator answers JSON only: send Accept: application/json or $format=json',
        );
      }
      return handler.handle(request, ctx);
    } catch (error) {
      if (!(error instanceof SimError)) throw error;
      return json(error.status, JSON.parse(sapErrorBody(error, handler.service.name)), error.headers);
    }
  }

  private batch(handler: ServiceHandler, ctx: ServiceContext, contentType: string, body: string): SimResponse {
    this.stats.batches++;
    let entries: ReturnType<typeof parseBatch>;
    try {
      entries = parseBatch(contentType, body);
    } catch (error) {
      if (!(error instanceof SimError)) throw error;
      return json(error.status, JSON.parse(sapErrorBody(error, handler.service.name)));
    }
    const run = (request: EmbeddedRequest) => {
      const url = new URL(request.url, `${ctx.root}/`);
      const path = decodeURIComponent(
        url.pathname.startsWith(new URL(ctx.root).pathname)
          ? url.pathname.slice(new URL(ctx.root).pathname.length + 1)
          : url.pathname,
      );
      return this.handle(handler, ctx, {
        method: request.method,
        path,
        query: url.searchParams,
        headers: request.headers,
        body: request.body,
      });
    };
    const answers = entries.map((entry): BatchAnswer => {
      if (entry.kind === 'query') return { kind: 'query', response: run(entry.request) };
      this.store.begin();
      const responses = [];
      try {
        for (const request of entry.requests) {
          const response = run(request);
          if (response.status >= 400) {
            this.store.rollback();
            return { kind: 'failed-changeset', response };
          }
          responses.push(response);
        }
      } catch (error) {
        this.store.rollback();
        throw error;
      }
      this.store.commit();
      return { kind: 'changeset', responses, contentIds: entry.requests.map((r) => r.contentId) };
    });
    const written = writeBatch(answers);
    return {
      status: 202,
      headers: { 'content-type': written.contentType, dataserviceversion: '2.0' },
      body: written.body,
    };
  }
}

function send(res: http.ServerResponse, method: string, response: SimResponse): void {
  res.writeHead(response.status, response.headers);
  res.end(method === 'HEAD' ? undefined : response.body);
}

export function startSapSimulator(options?: SapSimulatorOptions): Promise<SapSimulator> {
  return SapSimulator.start(options);
}
