// An OData V2 service on SAP Gateway: session cookies, the CSRF token, JSON, $batch, typed errors.
//
// Gateway's CSRF protection: a GET/HEAD with "X-CSRF-Token: Fetch" returns a token bound to the session
// cookies it sets; every modifying request (and $batch) must send both. When the session or token has
// expired, Gateway answers 403 with "X-CSRF-Token: Required": fetch a new token and retry once.

import { buildBatchBody, parseBatchResponse, type BatchItem, type BatchItemResult } from './batch.js';
import { CookieJar } from './cookie-jar.js';
import { errorFromResponse, SapError } from './errors.js';
import { sendHttp, type HttpResponse } from './http.js';

export interface SapCredentials {
  user: string;
  password: string;
}

export interface ODataTransportOptions {
  /** Absolute URL of the service root, e.g. https://host/sap/opu/odata/sap/API_PRODUCTION_ORDER_2_SRV */
  serviceUrl: string;
  /** Basic authentication (communication user). */
  credentials?: SapCredentials;
  /** Extra headers on every request (e.g. an API key in front of SAP). */
  headers?: Record<string, string>;
  /** The SAP client ("sap-client" query parameter), e.g. "100". */
  sapClient?: string;
  /** Timeout of one exchange; a POST that times out is ambiguous. Default 30 s. */
  timeoutMs?: number;
  /** Shared by the services of one SAP system so they use one session. */
  cookies?: CookieJar;
}

export interface ODataRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'MERGE' | 'DELETE';
  /** Relative to the service root, with its query, e.g. "ProdnOrdConf2?$top=1". */
  path: string;
  headers?: Record<string, string>;
  /** Serialized as JSON unless it is a string. */
  body?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TransportCounters {
  requests: number;
  csrfFetches: number;
  csrfRetries: number;
}

const MODIFYING = new Set(['POST', 'PUT', 'PATCH', 'MERGE', 'DELETE']);

export class ODataTransport {
  readonly serviceUrl: string;
  readonly cookies: CookieJar;
  readonly counters: TransportCounters = { requests: 0, csrfFetches: 0, csrfRetries: 0 };
  private readonly options: ODataTransportOptions;
  private csrfToken?: string;
  private pendingFetch?: Promise<string>;

  constructor(options: ODataTransportOptions) {
    this.options = options;
    this.serviceUrl = options.serviceUrl.replace(/\/+$/, '');
    this.cookies = options.cookies ?? new CookieJar();
  }

  /** One request; resolves on 2xx, throws a classified SapError otherwise. */
  async request(request: ODataRequest): Promise<HttpResponse> {
    const modifying = MODIFYING.has(request.method);
    if (!modifying) return this.checked(request, await this.exchange(request));
    const token = await this.token();
    const first = await this.exchange(request, token);
    if (!csrfRequired(first)) return this.checked(request, first);
    // The session or token expired: one fresh token (unless a concurrent request already got one), one retry.
    this.counters.csrfRetries++;
    const fresh = this.csrfToken !== undefined && this.csrfToken !== token ? this.csrfToken : await this.token(true);
    const second = await this.exchange(request, fresh);
    if (csrfRequired(second)) {
      throw new SapError({
        kind: 'retryable',
        status: 403,
        message:
          `${request.method} ${request.path}: SAP refused a freshly fetched CSRF token; the session cookies are ` +
          'not kept between requests (check proxies or load balancers between the hub and SAP)',
        requestSent: true,
      });
    }
    return this.checked(request, second);
  }

  /** GET and parse the JSON body ("d" unwrapped by the caller). */
  async getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
    const response = await this.request({ method: 'GET', path, signal });
    return parseJson<T>(response, 'GET', path);
  }

  /** POST with a JSON body and parse the answer; a 2xx body that cannot be read is ambiguous. */
  async postJson<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.request({ method: 'POST', path, body, signal });
    return parseJson<T>(response, 'POST', path);
  }

  /** Sends a $batch and reads every part; the CSRF token is required as for any modifying request. */
  async batch(items: BatchItem[], signal?: AbortSignal): Promise<BatchItemResult[]> {
    const { body, contentType } = buildBatchBody(items);
    const response = await this.request({
      method: 'POST',
      path: '$batch',
      headers: { 'Content-Type': contentType },
      body,
      signal,
    });
    return parseBatchResponse(items, String(response.headers['content-type'] ?? ''), response.body);
  }

  /** Fetches a token (single flight: concurrent callers share one round trip). */
  async token(refresh = false): Promise<string> {
    if (refresh) this.csrfToken = undefined;
    if (this.csrfToken) return this.csrfToken;
    this.pendingFetch ??= this.fetchToken().finally(() => {
      this.pendingFetch = undefined;
    });
    return this.pendingFetch;
  }

  /** Forgets the token; the next modifying request fetches one. */
  forgetToken(): void {
    this.csrfToken = undefined;
  }

  private async fetchToken(): Promise<string> {
    this.counters.csrfFetches++;
    // HEAD on the service root is the cheapest way; some Gateway versions only answer the token to a GET.
    for (const method of ['HEAD', 'GET'] as const) {
      const response = await this.exchange({ method, path: '' }, 'Fetch');
      if (response.status >= 400 && !(method === 'HEAD' && response.status === 405)) {
        throw errorFromResponse(
          method,
          `${this.serviceUrl}/ (CSRF token fetch)`,
          response.status,
          response.headers,
          response.body,
        );
      }
      const token = response.headers['x-csrf-token'];
      if (typeof token === 'string' && token !== '' && token.toLowerCase() !== 'required') {
        this.csrfToken = token;
        return token;
      }
    }
    throw new SapError({ kind: 'permanent', message: `${this.serviceUrl}: SAP returned no CSRF token` });
  }

  private url(path: string): URL {
    const url = new URL(`${this.serviceUrl}/${path}`);
    if (this.options.sapClient && !url.searchParams.has('sap-client')) {
      url.search = `${url.search ? `${url.search}&` : '?'}sap-client=${encodeURIComponent(this.options.sapClient)}`;
    }
    return url;
  }

  private async exchange(request: ODataRequest, csrf?: string): Promise<HttpResponse> {
    const headers: Record<string, string> = { Accept: 'application/json', ...this.options.headers, ...request.headers };
    if (this.options.credentials) {
      const { user, password } = this.options.credentials;
      headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    if (csrf) headers['X-CSRF-Token'] = csrf;
    const cookie = this.cookies.header();
    if (cookie) headers.Cookie = cookie;
    let body: string | undefined;
    if (request.body !== undefined) {
      body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
      headers['Content-Type'] ??= 'application/json';
    }
    this.counters.requests++;
    const response = await sendHttp({
      method: request.method,
      url: this.url(request.path),
      headers,
      body,
      timeoutMs: request.timeoutMs ?? this.options.timeoutMs ?? 30_000,
      signal: request.signal,
    });
    this.cookies.store(response.headers['set-cookie']);
    return response;
  }

  private checked(request: ODataRequest, response: HttpResponse): HttpResponse {
    if (response.status >= 200 && response.status < 300) return response;
    throw errorFromResponse(request.method, request.path || '/', response.status, response.headers, response.body);
  }
}

function csrfRequired(response: HttpResponse): boolean {
  const header = response.headers['x-csrf-token'];
  return response.status === 403 && typeof header === 'string' && header.toLowerCase() === 'required';
}

function parseJson<T>(response: HttpResponse, method: string, path: string): T {
  try {
    return JSON.parse(response.body) as T;
  } catch (cause) {
    throw new SapError({
      kind: method === 'GET' ? 'retryable' : 'ambiguous',
      status: response.status,
      message: `${method} ${path}: SAP answered ${response.status} with a body that is not JSON`,
      requestSent: true,
      cause,
    });
  }
}
