// A work order rejected in review after its completion was confirmed to SAP: the confirmation (and its
// goods movements) is reversed through CancelProdnOrdConf, once. The reversal carries the rejection
// delivery's own key in ExternalSystemConfirmation, so an attempt after an ambiguous failure reads it
// back instead of cancelling again (a second cancel would be refused: "already cancelled").

import {
  ConnectorError,
  type DeliveryResult,
  type HubClient,
  type OutboundDelivery,
  request,
} from '@plantgraph/connector-sdk';
import type { SapS4HanaClient } from './client.js';
import { confirmationReference, parseConfirmationReference } from './confirmations.js';
import { externalConfirmationId } from './idempotency.js';
import { sap } from './sap-call.js';

const REJECTED_ORDER = `query ($number: String!) { workOrder(number: $number) { number state externalReference } }`;
// The connector's own ledger, read through the hub's API as its own principal: what SAP holds for the order.
const CONFIRMED = `query ($connector: String!, $number: String!) { connector(name: $connector) { name }
  connectorDeliveries(connector: $connector,
  filter: { eventType: "WorkOrderCompleted", eventKey: $number }, first: 20) {
  edges { node { state externalReference } } } }`;

interface Confirmed {
  state: string;
  externalReference: string | null;
}

/** Cancels the confirmation of a rejected order; skipped when SAP holds none from this connector. */
export async function cancelRejectedOrder(
  hub: HubClient,
  client: SapS4HanaClient,
  connector: string,
  externalPrefix: string,
  d: OutboundDelivery,
): Promise<DeliveryResult> {
  const { workOrder } = await request<{
    workOrder: { number: string; state: string; externalReference: string | null } | null;
  }>(hub, REJECTED_ORDER, { number: d.event.key });
  if (!workOrder)
    throw new ConnectorError({ kind: 'permanent', message: `The hub shows no work order ${d.event.key}.` });
  if (!workOrder.externalReference?.startsWith(externalPrefix))
    return { externalReference: null, reconciled: false, skipped: `work order ${workOrder.number} is not from SAP` };
  const cancelKey = externalConfirmationId(d.key);
  if (d.lastFailure === 'ambiguous') {
    const reversal = (await sap(() => client.findConfirmations(cancelKey))).find((c) => c.isReversal);
    if (reversal) return { externalReference: confirmationReference(reversal), reconciled: true };
  }
  const seen = await request<{
    connector: { name: string } | null;
    connectorDeliveries: { edges: { node: Confirmed }[] };
  }>(hub, CONFIRMED, { connector, number: workOrder.number });
  // Without Read at its own scope the ledger would look empty, and a confirmation would silently stand.
  if (!seen.connector)
    throw new ConnectorError({
      kind: 'permanent',
      message: `connector:${connector} cannot read its own deliveries: grant it Read at the connector's scope.`,
    });
  const { connectorDeliveries } = seen;
  const completions = connectorDeliveries.edges.map((e) => e.node);
  const confirmed = completions.find((c) => c.state === 'Delivered' && c.externalReference);
  if (!confirmed) {
    // The confirmation may still be on its way: wait for it rather than leave it standing in SAP.
    if (completions.some((c) => c.state === 'Pending' || c.state === 'Delivering'))
      throw new ConnectorError({
        kind: 'retryable',
        message: `The confirmation of work order ${workOrder.number} is not delivered yet; it is cancelled once it is.`,
      });
    return {
      externalReference: null,
      reconciled: false,
      skipped: `SAP holds no confirmation of work order ${workOrder.number} to cancel`,
    };
  }
  const key = parseConfirmationReference(confirmed.externalReference!);
  if (!key)
    throw new ConnectorError({
      kind: 'permanent',
      message: `The confirmation reference ${confirmed.externalReference} of work order ${workOrder.number} is unreadable.`,
    });
  const reversal = await sap(() =>
    client.cancelConfirmation(key, { externalKey: cancelKey, text: 'Rejected in review (PlantGraph)' }),
  );
  return { externalReference: confirmationReference(reversal), reconciled: false };
}
