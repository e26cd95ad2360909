// Inbound push: MaintainX calls the hub's connector endpoint `POST /connectors/<instance>/webhook` when a
// work order is created or changed, signed with the webhook's secret. The body only says which work
// order changed: the connector reads that work order by id and imports it through the same code as the
// poll, so a repeated, late or out-of-order delivery imports the current state again and changes nothing
// twice. A delivery MaintainX loses is picked up by the poll, which stays as the safety net.

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EndpointRequest, EndpointResponse, HubClient, InboundEndpoint } from '@plantgraph/connector-sdk';
import type { MaintainXClient } from './client.js';
import { importWorkOrder } from './conditions.js';
import type { MappedAssets } from './mapping.js';

/** The header MaintainX signs a webhook call in (assumed, see the README): `t=<unix s>,v1=<hex>`. */
export const SIGNATURE_HEADER = 'x-maintainx-webhook-body-signature';
/** How old a signed call may be: older ones are refused, so a captured call cannot be sent again later. */
export const SIGNATURE_TOLERANCE_S = 300;

/** The signature of `body` sent at `t` (unix seconds): HMAC-SHA256 of `<t>.<body>` with the secret. */
export function signWebhook(secret: string, body: string, t: number): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** Why the call is not MaintainX's (null when its signature holds). */
export function signatureProblem(secret: string, header: string | undefined, body: string, nowMs: number) {
  if (!header) return `the ${SIGNATURE_HEADER} header is missing`;
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/i.test(given))
    return `the ${SIGNATURE_HEADER} header must read t=<unix seconds>,v1=<hex HMAC-SHA256>`;
  if (Math.abs(nowMs / 1000 - t) > SIGNATURE_TOLERANCE_S)
    return `the signature's time t=${t} is more than ${SIGNATURE_TOLERANCE_S} s from the hub's clock`;
  const expected = signWebhook(secret, body, t).split('v1=')[1]!;
  const ok = timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given.toLowerCase(), 'hex'));
  return ok ? null : 'the signature does not match the body with the configured webhookSecret';
}

/** The work order a webhook body names: `workOrderId`, else `workOrder.id` / `newWorkOrder.id`. */
export function workOrderIdOf(body: string): number | null {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return null;
  }
  const nested = (parsed.workOrder ?? parsed.newWorkOrder) as { id?: unknown } | undefined;
  const id = Number(parsed.workOrderId ?? nested?.id);
  return Number.isInteger(id) && id > 0 ? id : null;
}

/** One work order read from MaintainX and imported as the poll does; null outcome when it is not ours. */
export async function importById(client: MaintainXClient, hub: HubClient, assets: MappedAssets, id: number) {
  const order = await client.getWorkOrder(id);
  return { order, outcome: order ? await importWorkOrder(hub, assets, order) : null };
}

const json = (status: number, body: unknown): EndpointResponse => ({
  status,
  contentType: 'application/json',
  body: JSON.stringify(body),
});

export function webhookEndpoint(
  client: MaintainXClient,
  hub: HubClient,
  assets: MappedAssets,
  secret: string | undefined,
): InboundEndpoint {
  // Deliveries of one work order run one after the other, so a repeat arriving with the original
  // cannot race it into the hub.
  const inFlight = new Map<number, Promise<unknown>>();
  const handle = async (r: EndpointRequest): Promise<EndpointResponse> => {
    if (!secret)
      return json(401, { error: 'This connector has no webhookSecret: set it to the MaintainX webhook secret.' });
    const problem = signatureProblem(secret, r.headers[SIGNATURE_HEADER], r.body, Date.now());
    if (problem) return json(401, { error: `Refused: ${problem}.` });
    const id = workOrderIdOf(r.body);
    if (id === null) return json(400, { error: 'The body must be JSON naming a work order: {"workOrderId": <id>}.' });
    const previous = inFlight.get(id) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => importById(client, hub, assets, id));
    inFlight.set(id, run);
    try {
      const { order, outcome } = await run;
      if (!outcome) return json(200, { workOrderId: id, ignored: order ? 'not on a mapped asset' : 'not found' });
      return { ...json(200, { workOrderId: id, outcome: outcome.outcome }), outcomes: [outcome] };
    } catch (error) {
      // MaintainX or the hub cannot be reached now: MaintainX may send again, and the poll catches up.
      return json(503, { error: `Work order ${id} not imported now: ${(error as Error).message}` });
    } finally {
      if (inFlight.get(id) === run) inFlight.delete(id);
    }
  };
  return {
    description: 'MaintainX webhook (work order created or changed), signed with webhookSecret',
    authenticatedBy: 'connector',
    maxBytes: 1_000_000,
    handle,
  };
}
