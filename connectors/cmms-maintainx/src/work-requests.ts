// Outbound: a breakdown longer than the configured time, or an alert of a chosen rule, becomes one work
// request in MaintainX (a work order, status OPEN, priority HIGH, in the breakdown category) with the
// downtime reason and the link back. The delivery's idempotency key goes into `externalData.plantgraphKey`;
// after an ambiguous failure (or on a replay) the asset's recent work orders are read back by that key
// first, so retries and replays leave exactly one.

import {
  ConnectorError,
  type DeliveryResult,
  type HubClient,
  type OutboundDelivery,
  request,
} from '@plantgraph/connector-sdk';
import type { MaintainXClient } from './client.js';
import type { AssetMapping } from './mapping.js';

export interface WorkRequestSettings {
  breakdownCategory: string;
  /** `{id}` is replaced by the alert id; without one the link is `plantgraph:alert/<id>`. */
  alertUrlTemplate?: string;
}

/** A delivery that is not this connector's to send, and why (shown on the delivery). */
export const skipped = (why: string): DeliveryResult => ({ externalReference: null, reconciled: false, skipped: why });

/** Pages of the asset's work orders read back when reconciling (100 each). */
const RECONCILE_PAGES = 20;
/** How far before the hub's event MaintainX's clock may be when reading back. */
const CLOCK_SKEW_MS = 3_600_000;

export interface WorkRequestFacts {
  asset: AssetMapping;
  title: string;
  reason: string;
  link: string;
  lines: string[];
}

export async function sendWorkRequest(
  client: MaintainXClient,
  settings: WorkRequestSettings,
  d: OutboundDelivery,
  facts: WorkRequestFacts,
): Promise<DeliveryResult> {
  if (d.lastFailure === 'ambiguous') {
    const held = await findByKey(client, facts.asset.assetId, d.key, d.event.at);
    if (held !== null) return { externalReference: `workorders/${held}`, reconciled: true };
  }
  const id = await client.createWorkOrder({
    title: facts.title.slice(0, 200),
    description: [`Downtime reason: ${facts.reason}`, ...facts.lines, `PlantGraph: ${facts.link}`].join('\n'),
    assetId: facts.asset.assetId,
    priority: 'HIGH',
    categories: [settings.breakdownCategory],
    externalData: { plantgraphKey: d.key, plantgraphEvent: `${d.event.type}/${d.event.key}`, link: facts.link },
  });
  return { externalReference: `workorders/${id}`, reconciled: false };
}

async function findByKey(client: MaintainXClient, assetId: number, key: string, at: string): Promise<number | null> {
  const updatedAtGte = new Date(Date.parse(at) - CLOCK_SKEW_MS).toISOString();
  let cursor: string | null = null;
  for (let i = 0; i < RECONCILE_PAGES; i++) {
    const page = await client.listWorkOrders({ assetId, updatedAtGte, cursor, limit: 100 });
    const held = page.workOrders.find((w) => w.externalData?.plantgraphKey === key);
    if (held) return held.id;
    if (!page.nextCursor) return null;
    cursor = page.nextCursor;
  }
  throw new ConnectorError({
    kind: 'retryable',
    message: `MaintainX: asset ${assetId} has more work orders since ${updatedAtGte} than are read back; try again`,
  });
}

export function alertLink(settings: WorkRequestSettings, alertId: string): string {
  return settings.alertUrlTemplate ? settings.alertUrlTemplate.replace('{id}', alertId) : `plantgraph:alert/${alertId}`;
}

interface RaisedAlert {
  id: string;
  path: string;
  deduplicationKey: string;
  severity: string;
  title: string;
  description: string | null;
  raisedAt: string;
}

const ALERT = `query ($id: ID!, $path: String!) {
  alert(id: $id) { id path deduplicationKey severity title description raisedAt }
  equipment(path: $path) { state stateReason } }`;

/** An alert of one of the chosen rules (its deduplication key) on a mapped asset: one work request. */
export async function alertToWorkRequest(
  client: MaintainXClient,
  hub: HubClient,
  settings: WorkRequestSettings & { alertRules: string[] },
  asset: AssetMapping | undefined,
  d: OutboundDelivery,
): Promise<DeliveryResult> {
  if (!asset) return skipped(`${d.event.path} is not a mapped asset`);
  const data = await request<{
    alert: RaisedAlert | null;
    equipment: { state: string; stateReason: string | null } | null;
  }>(hub, ALERT, { id: d.event.key, path: asset.equipment });
  const alert = data.alert;
  if (!alert) throw new ConnectorError({ kind: 'permanent', message: `The hub shows no alert ${d.event.key}.` });
  if (!settings.alertRules.includes(alert.deduplicationKey))
    return skipped(`alert rule ${alert.deduplicationKey} is not sent`);
  const reason = data.equipment?.stateReason ?? `${data.equipment?.state ?? 'unknown state'}, no reason given`;
  return sendWorkRequest(client, settings, d, {
    asset,
    title: `${alert.title} (${asset.equipment})`,
    reason,
    link: alertLink(settings, alert.id),
    lines: [`Alert ${alert.deduplicationKey}, ${alert.severity}, raised ${alert.raisedAt}`, alert.description ?? ''],
  });
}
