// One SAP S/4HANA system: its two OData services sharing one session, and the operations the
// connector runtime calls. No retry loop here: the runtime owns retries, backoff and the delivery ledger,
// and every failure reaches it as a classified SapError.

import {
  cancelConfirmation,
  CONFIRMATION_SERVICE,
  deliverConfirmation,
  findConfirmations,
  postConfirmation,
  postConfirmations,
  type BatchDelivery,
  type CancelOptions,
  type ConfirmationKey,
  type ConfirmationPayload,
  type DeliverOptions,
  type Delivery,
  type SapConfirmation,
} from './confirmations.js';
import { CookieJar } from './odata/cookie-jar.js';
import { ODataTransport, type SapCredentials } from './odata/transport.js';
import {
  getOrder,
  listChangedOrders,
  PRODUCTION_ORDER_SERVICE,
  type ListChangedOrdersOptions,
  type OrderPage,
  type SapProductionOrder,
} from './production-orders.js';

export interface SapClientOptions {
  /** Scheme, host and port of the SAP system (Gateway), e.g. "https://s4.example.com:44300". */
  baseUrl: string;
  credentials?: SapCredentials;
  sapClient?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Default "/sap/opu/odata/sap". */
  servicePath?: string;
}

export interface ConnectionCheck {
  ok: true;
  /** Round trip of the CSRF token fetch on both services, in ms. */
  roundTripMs: number;
}

export class SapS4HanaClient {
  readonly productionOrders: ODataTransport;
  readonly confirmations: ODataTransport;

  constructor(options: SapClientOptions) {
    const root = `${options.baseUrl.replace(/\/+$/, '')}${options.servicePath ?? '/sap/opu/odata/sap'}`;
    const cookies = new CookieJar();
    const common = {
      credentials: options.credentials,
      sapClient: options.sapClient,
      timeoutMs: options.timeoutMs,
      headers: options.headers,
      cookies,
    };
    this.productionOrders = new ODataTransport({ ...common, serviceUrl: `${root}/${PRODUCTION_ORDER_SERVICE}` });
    this.confirmations = new ODataTransport({ ...common, serviceUrl: `${root}/${CONFIRMATION_SERVICE}` });
  }

  /** A real round trip to both services (logon, session, CSRF token); throws a classified SapError. */
  async testConnection(): Promise<ConnectionCheck> {
    const started = performance.now();
    await Promise.all([this.productionOrders.token(true), this.confirmations.token(true)]);
    return { ok: true, roundTripMs: Math.round(performance.now() - started) };
  }

  /** One page of orders changed after the cursor, oldest first, with operations and components. */
  listChangedOrders(options?: ListChangedOrdersOptions): Promise<OrderPage> {
    return listChangedOrders(this.productionOrders, options);
  }

  /** One order with operations and components (on-demand import); null when SAP does not know it. */
  getOrder(order: string, signal?: AbortSignal): Promise<SapProductionOrder | null> {
    return getOrder(this.productionOrders, order, signal);
  }

  postConfirmation(payload: ConfirmationPayload, signal?: AbortSignal): Promise<SapConfirmation> {
    return postConfirmation(this.confirmations, payload, signal);
  }

  /** Post unless SAP already holds a live confirmation with the payload's key (see DeliverOptions). */
  deliverConfirmation(payload: ConfirmationPayload, options?: DeliverOptions): Promise<Delivery> {
    return deliverConfirmation(this.confirmations, payload, options);
  }

  /** The reconcile read: confirmations SAP holds for an idempotency key (a GUID, see externalConfirmationId). */
  findConfirmations(externalKey: string, signal?: AbortSignal): Promise<SapConfirmation[]> {
    return findConfirmations(this.confirmations, externalKey, signal);
  }

  cancelConfirmation(key: ConfirmationKey, options?: CancelOptions): Promise<SapConfirmation> {
    return cancelConfirmation(this.confirmations, key, options);
  }

  /** Several confirmations in one $batch, one changeset each; a result per payload. */
  postConfirmations(payloads: ConfirmationPayload[], signal?: AbortSignal): Promise<BatchDelivery[]> {
    return postConfirmations(this.confirmations, payloads, signal);
  }
}
