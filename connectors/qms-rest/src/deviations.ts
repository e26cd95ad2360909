// Outbound: a deviation the hub opened (out of tolerance at a step, a failed verdict, a yield outside its
// bracket, or a nonconformance a person raised) becomes one nonconformance record in the QMS with its lot,
// order, step, equipment and the values that broke their limits. The delivery's idempotency key goes into
// the record's `externalReference`; after an ambiguous failure (a lost answer) or on a replay the QMS is
// read back by that key first, so retries and replays leave exactly one record.

import {
  ConnectorError,
  type DeliveryResult,
  type HubClient,
  type OutboundDelivery,
  request,
} from '@plantgraph/connector-sdk';
import type { NewNonconformance, NonconformanceValue, QmsClient } from './client.js';

export interface DeviationSettings {
  /** Deviation kinds sent as nonconformances. */
  kinds: string[];
  /** Link to a deviation in the hub's UI, `{id}` replaced; else `plantgraph:deviation/<id>`. */
  linkTemplate?: string;
}

interface HubDeviation {
  id: string;
  kind: string;
  severity: 'Minor' | 'Major' | 'Critical';
  segment: string | null;
  description: string;
  openedBy: string;
  createdAt: string;
  lot: { lotNumber: string } | null;
}

const D = 'id kind severity segment description openedBy createdAt lot { lotNumber }';
// The event's key is the order's number (a deviation on an order) or the lot's (on a lot alone).
const DEVIATION = `query ($k: String!) {
  workOrder(number: $k) { number producedLot equipment { path } deviations { ${D} }
    steps { segment measurements { parameter value lowerLimit upperLimit withinTolerance } } }
  materialLot(lotNumber: $k) { lotNumber deviations { ${D} } } }`;

interface DeviationAnswer {
  workOrder: {
    number: string;
    producedLot: string | null;
    equipment: { path: string };
    deviations: HubDeviation[];
    steps: { segment: string; measurements: NonconformanceValue[] }[];
  } | null;
  materialLot: { lotNumber: string; deviations: HubDeviation[] } | null;
}

/** A delivery that is not this connector's to send, and why (shown on the delivery). */
const skipped = (why: string): DeliveryResult => ({ externalReference: null, reconciled: false, skipped: why });

export async function deliverDeviation(
  client: QmsClient,
  hub: HubClient,
  settings: DeviationSettings,
  d: OutboundDelivery,
): Promise<DeliveryResult> {
  const id = d.event.record;
  if (!id) return skipped('the event names no deviation (raised before the hub named it in its events)');
  const record = await nonconformanceOf(hub, settings, d.event.key, d.event.path, id, d.key);
  if (!record)
    throw new ConnectorError({ kind: 'permanent', message: `The hub shows no deviation ${id} to this connector.` });
  if (!settings.kinds.includes(record.category)) return skipped(`${record.category} deviations are not sent`);
  if (d.lastFailure === 'ambiguous') {
    const held = await client.listNonconformances({ externalReference: d.key, limit: 1 });
    const [found] = held.items;
    if (found) return { externalReference: `nonconformances/${found.number}`, reconciled: true };
  }
  const created = await client.createNonconformance(record);
  return { externalReference: `nonconformances/${created.number}`, reconciled: false };
}

/** The deviation as the QMS record carries it, or null when the hub shows no such deviation. */
async function nonconformanceOf(
  hub: HubClient,
  settings: DeviationSettings,
  key: string,
  path: string | null,
  id: string,
  idempotencyKey: string,
): Promise<NewNonconformance | null> {
  const { workOrder: order, materialLot: lot } = await request<DeviationAnswer>(hub, DEVIATION, { k: key });
  const deviation = order?.deviations.find((x) => x.id === id) ?? lot?.deviations.find((x) => x.id === id);
  if (!deviation) return null;
  const onOrder = order?.deviations.some((x) => x.id === id) ? order : null;
  const step = onOrder && deviation.segment ? onOrder.steps.find((s) => s.segment === deviation.segment) : undefined;
  const measured = step?.measurements ?? [];
  const broken = measured.filter((m) => !m.withinTolerance);
  const where = [
    onOrder ? `order ${onOrder.number}` : null,
    deviation.segment ? `step ${deviation.segment}` : null,
    deviation.lot ? `lot ${deviation.lot.lotNumber}` : null,
  ].filter(Boolean);
  return {
    externalReference: idempotencyKey,
    title: `${deviation.kind} (${deviation.severity}) at ${where.join(', ')}`.slice(0, 200),
    description: deviation.description,
    category: deviation.kind,
    severity: deviation.severity,
    source: {
      system: 'plantgraph',
      deviationId: deviation.id,
      link: settings.linkTemplate?.replace('{id}', deviation.id) ?? `plantgraph:deviation/${deviation.id}`,
    },
    lot: deviation.lot?.lotNumber ?? onOrder?.producedLot ?? null,
    order: onOrder?.number ?? null,
    step: deviation.segment,
    equipment: onOrder?.equipment.path ?? path,
    values: (broken.length ? broken : measured).map((m) => ({
      parameter: m.parameter,
      value: m.value,
      lowerLimit: m.lowerLimit,
      upperLimit: m.upperLimit,
      withinTolerance: m.withinTolerance,
    })),
    detectedAt: deviation.createdAt,
    detectedBy: deviation.openedBy,
  };
}
