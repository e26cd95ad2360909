// MaintainX's REST API (v1) as the connector uses it: a bearer key, JSON, cursor paging, `skipWebhook` on
// every write (so the hub's own changes do not come back as webhooks), and each failure classified for the
// connector runtime: 429 waits out Retry-After, 5xx and refused connections are retried, a write whose
// answer is lost (timeout, reset) is ambiguous (read back by the key before sending again), 4xx is final.

import { ConnectorError } from '@plantgraph/connector-sdk';

export interface MaintainXClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** For an API key of several organisations: the `x-organization-id` header. */
  organizationId?: string;
}

export type MaintainXStatus = 'OPEN' | 'IN_PROGRESS' | 'ON_HOLD' | 'DONE' | (string & {});

export interface MaintainXWorkOrder {
  id: number;
  title: string;
  status: MaintainXStatus;
  assetId: number | null;
  categories?: string[];
  dueDate?: string | null;
  externalData?: Record<string, unknown> | null;
  updatedAt: string;
}

export interface MaintainXMeterReading {
  id: number;
  meterId: number;
  value: number;
  date: string;
}

export interface NewWorkRequest {
  title: string;
  description: string;
  assetId: number;
  priority: 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH';
  categories: string[];
  externalData: Record<string, unknown>;
}

const MODIFYING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export class MaintainXClient {
  constructor(private readonly options: MaintainXClientOptions) {}

  /** One page of work orders changed at or after `updatedAtGte`, oldest change first. */
  listWorkOrders(query: { updatedAtGte?: string; assetId?: number; cursor?: string | null; limit: number }) {
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.updatedAtGte) params.set('updatedAtGte', query.updatedAtGte);
    if (query.assetId !== undefined) params.set('assetId', String(query.assetId));
    if (query.cursor) params.set('cursor', query.cursor);
    return this.call<{ workOrders: MaintainXWorkOrder[]; nextCursor: string | null }>('GET', `/workorders?${params}`);
  }

  /** One work order, or null when MaintainX has none with that id. */
  async getWorkOrder(id: number): Promise<MaintainXWorkOrder | null> {
    try {
      return (await this.call<{ workOrder: MaintainXWorkOrder }>('GET', `/workorders/${id}`)).workOrder;
    } catch (error) {
      if (error instanceof ConnectorError && error.kind === 'permanent' && / 404/.test(error.message)) return null;
      throw error;
    }
  }

  /** Creates a work order; MaintainX answers with its id. */
  async createWorkOrder(order: NewWorkRequest): Promise<number> {
    const { id } = await this.call<{ id: number }>('POST', '/workorders?skipWebhook=true', order);
    return id;
  }

  /** One page of a meter's readings, newest first. */
  listReadings(meterId: number, cursor: string | null, limit = 50) {
    const params = new URLSearchParams({ limit: String(limit) });
    if (cursor) params.set('cursor', cursor);
    return this.call<{ meterReadings: MaintainXMeterReading[]; nextCursor: string | null }>(
      'GET',
      `/meters/${meterId}/readings?${params}`,
    );
  }

  /** Posts readings in one batch (MaintainX's batch endpoint). */
  async createReadings(readings: { meterId: number; value: number; date: string }[]): Promise<void> {
    await this.call('POST', '/meterreadings?skipWebhook=true', readings);
  }

  /** A real round trip: one asset read with the key. */
  async testConnection(): Promise<{ roundTripMs: number; detail: string }> {
    const started = performance.now();
    await this.call('GET', '/assets?limit=1');
    return { roundTripMs: Math.round(performance.now() - started), detail: 'MaintainX answered with the API key' };
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.apiKey}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.organizationId) headers['x-organization-id'] = this.options.organizationId;
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}${path}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await res.text();
    } catch (error) {
      throw transportFailure(method, path, error);
    }
    if (res.ok) return (text ? JSON.parse(text) : {}) as T;
    const said = externalMessage(text);
    const what = `MaintainX ${method} ${path.split('?')[0]}: ${res.status}${said ? ` ${said}` : ''}`;
    if (res.status === 429)
      throw new ConnectorError({
        kind: 'rate-limited',
        message: what,
        retryAfterMs: retryAfterMs(res.headers.get('retry-after')),
        externalMessage: said,
      });
    if (res.status >= 500) throw new ConnectorError({ kind: 'retryable', message: what, externalMessage: said });
    if (res.status === 401 || res.status === 403)
      throw new ConnectorError({
        kind: 'permanent',
        message: `${what} (check the connector's apiKey and, for a multi-organisation key, organizationId)`,
        externalMessage: said,
      });
    throw new ConnectorError({ kind: 'permanent', message: what, externalMessage: said });
  }
}

function transportFailure(method: string, path: string, error: unknown): ConnectorError {
  const cause = (error as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (error as { name?: string }).name ?? 'error';
  const refused = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
  // A write that may have reached MaintainX (no answer, a reset) may have been applied: reconcile.
  const kind = MODIFYING.has(method) && !refused ? 'ambiguous' : 'retryable';
  const message = `MaintainX ${method} ${path.split('?')[0]}: no answer (${code})`;
  return new ConnectorError({ kind, message, cause: error });
}

function externalMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { errors?: { message?: string }[]; message?: string };
    return parsed.errors?.map((e) => e.message).join('; ') || parsed.message || undefined;
  } catch {
    return text.slice(0, 200) || undefined;
  }
}

function retryAfterMs(header: string | null): number {
  if (!header) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 1000;
}
