// MaintainX's webhook calls as the simulator makes them: each work order created or changed (other than
// through the API with `skipWebhook=true`) is POSTed to every registered URL as JSON, signed with that
// webhook's secret in `x-maintainx-webhook-body-signature: t=<unix s>,v1=<hex HMAC-SHA256 of "t.body">`
// (the format assumed in the connector's README). Faults for tests: a delivery lost, sent twice, or held
// back so that a later one overtakes it.

import { createHmac } from 'node:crypto';
import type { SimWorkOrder } from './store.js';

export const WEBHOOK_SIGNATURE_HEADER = 'x-maintainx-webhook-body-signature';

export type WebhookType = 'NEW_WORK_ORDER' | 'WORK_ORDER_CHANGE';

export type WebhookFault = { kind: 'lost' } | { kind: 'repeated' } | { kind: 'delayed'; ms: number };

export interface WebhookDelivery {
  url: string;
  type: WebhookType;
  workOrderId: number;
  /** The receiver's answer; null when it gave none (refused connection, timeout). */
  status: number | null;
  /** The receiver's answer body (empty without one). */
  answer: string;
}

export class WebhookSender {
  readonly deliveries: WebhookDelivery[] = [];
  /** Changes made with `skipWebhook=true`, for which nothing was sent. */
  skipped = 0;
  private readonly hooks: { url: string; secret: string }[] = [];
  private readonly faults: { fault: WebhookFault; remaining: number }[] = [];
  private readonly sending = new Set<Promise<void>>();

  register(url: string, secret: string): void {
    this.hooks.push({ url, secret });
  }

  /** The next `times` deliveries suffer `fault`. */
  inject(fault: WebhookFault, times = 1): void {
    this.faults.push({ fault, remaining: times });
  }

  changed(type: WebhookType, order: SimWorkOrder, skipWebhook: boolean): void {
    if (skipWebhook) {
      this.skipped++;
      return;
    }
    const body = JSON.stringify({
      type,
      workOrderId: order.id,
      occurredAt: order.updatedAt,
      newWorkOrder: structuredClone(order),
    });
    for (const hook of this.hooks) {
      const fault = this.takeFault();
      if (fault?.kind === 'lost') continue;
      const times = fault?.kind === 'repeated' ? 2 : 1;
      const delayMs = fault?.kind === 'delayed' ? fault.ms : 0;
      for (let i = 0; i < times; i++) this.track(this.send(hook, type, order.id, body, delayMs));
    }
  }

  /** Resolves once every delivery under way has been answered (or failed). */
  async idle(): Promise<void> {
    while (this.sending.size) await Promise.all([...this.sending]);
  }

  private takeFault(): WebhookFault | undefined {
    const armed = this.faults[0];
    if (!armed) return undefined;
    if (--armed.remaining <= 0) this.faults.shift();
    return armed.fault;
  }

  private track(sending: Promise<void>): void {
    this.sending.add(sending);
    void sending.finally(() => this.sending.delete(sending));
  }

  private async send(
    hook: { url: string; secret: string },
    type: WebhookType,
    id: number,
    body: string,
    delay: number,
  ) {
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const t = Math.floor(Date.now() / 1000);
    const signature = `t=${t},v1=${createHmac('sha256', hook.secret).update(`${t}.${body}`).digest('hex')}`;
    let status: number | null = null;
    let answer = '';
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: signature },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      answer = await res.text();
      status = res.status;
    } catch {
      status = null;
    }
    this.deliveries.push({ url: hook.url, type, workOrderId: id, status, answer });
  }
}
