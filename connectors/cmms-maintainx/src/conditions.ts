// Inbound: MaintainX work orders on mapped assets become the equipment's maintenance and calibration
// condition through the hub's GraphQL (`recordEquipmentCondition` / `clearEquipmentCondition`, ADR 0016),
// keyed by `maintainx:wo:<id>` so that every re-read changes nothing. An open maintenance work order holds
// the condition its status maps to (UnderMaintenance blocks release and step start); a calibration work
// order holds CalibrationDue until its due date, CalibrationOverdue (blocking) after it; DONE clears both.

import { type HubClient, type ImportOutcome, request } from '@plantgraph/connector-sdk';
import type { MaintainXClient, MaintainXWorkOrder } from './client.js';
import type { MappedAssets } from './mapping.js';

/** The hub's external reference of the condition record a MaintainX work order holds. */
export const conditionReference = (workOrderId: number) => `maintainx:wo:${workOrderId}`;

/**
 * Where the next poll starts: work orders changed at or after `since` (MaintainX's `updatedAt`), `page`
 * MaintainX's cursor inside that query, `high` the newest change seen so far, and `done` the ids already
 * imported at `since` exactly (so the boundary is not imported twice).
 */
interface PollCursor {
  since: string | null;
  page: string | null;
  high: string | null;
  done: number[];
}

export function parseCursor(cursor: string | null): PollCursor {
  if (!cursor) return { since: null, page: null, high: null, done: [] };
  return JSON.parse(cursor) as PollCursor;
}

export async function pollWorkOrders(
  client: MaintainXClient,
  hub: HubClient,
  assets: MappedAssets,
  cursor: string | null,
  pageSize: number,
) {
  const at = parseCursor(cursor);
  const page = await client.listWorkOrders({ updatedAtGte: at.since ?? undefined, cursor: at.page, limit: pageSize });
  const fresh = page.workOrders.filter((w) => !(w.updatedAt === at.since && at.done.includes(w.id)));
  const outcomes: ImportOutcome[] = [];
  for (const order of fresh) {
    const outcome = await importWorkOrder(hub, assets, order);
    if (outcome) outcomes.push(outcome);
  }
  let high = at.high;
  for (const w of page.workOrders) if (!high || w.updatedAt > high) high = w.updatedAt;
  const more = page.nextCursor !== null;
  const next: PollCursor = more
    ? { ...at, page: page.nextCursor, high }
    : {
        since: high ?? at.since,
        page: null,
        high: null,
        done: page.workOrders.filter((w) => w.updatedAt === high).map((w) => w.id),
      };
  return { cursor: JSON.stringify(next), more, outcomes };
}

interface RecordAnswer {
  __typename: string;
  createdAt?: string;
  updatedAt?: string;
  clearedAt?: string | null;
  code?: string;
  message?: string;
}

const RECORD = `mutation ($i: RecordEquipmentConditionInput!) { recordEquipmentCondition(input: $i) {
  __typename ... on EquipmentConditionRecord { createdAt updatedAt } ... on ErrorResult { code message } } }`;
const CLEAR = `mutation ($i: ClearEquipmentConditionInput!) { clearEquipmentCondition(input: $i) {
  __typename ... on EquipmentConditionRecord { createdAt updatedAt clearedAt } ... on ErrorResult { code message } } }`;

/** One work order into the hub; null when it is not the connector's (no mapped asset, or its own request). */
export async function importWorkOrder(
  hub: HubClient,
  assets: MappedAssets,
  order: MaintainXWorkOrder,
): Promise<ImportOutcome | null> {
  if (order.externalData?.plantgraphKey) return null; // a work request the hub sent: not a condition
  const asset = assets.asset(order.assetId);
  if (!asset) return null;
  const reference = String(order.id);
  const started = Date.now();
  const externalReference = conditionReference(order.id);
  const calibration = (order.categories ?? []).some((c) => assets.mapping.calibrationCategories.includes(c));
  const condition =
    order.status === 'DONE' ? undefined : calibration ? 'CalibrationDue' : assets.mapping.conditions[order.status];
  if (condition) {
    const { recordEquipmentCondition: answer } = await request<{ recordEquipmentCondition: RecordAnswer }>(
      hub,
      RECORD,
      {
        i: {
          path: asset.equipment,
          condition,
          reason: `MaintainX work order #${order.id}: ${order.title} (${order.status})`,
          dueAt: order.dueDate ?? null,
          externalReference,
        },
      },
    );
    if (answer.__typename !== 'EquipmentConditionRecord') return refused(reference, asset.equipment, answer);
    const outcome = !changedSince(answer.updatedAt, started)
      ? 'Unchanged'
      : answer.createdAt === answer.updatedAt
        ? 'Created'
        : 'Updated';
    return { reference, outcome, hubReference: externalReference, reasons: [] };
  }
  const { clearEquipmentCondition: answer } = await request<{ clearEquipmentCondition: RecordAnswer }>(hub, CLEAR, {
    i: { externalReference, clearance: `MaintainX work order #${order.id} ${order.status}: ${order.title}` },
  });
  // Never recorded (closed before the hub saw it open): nothing to clear.
  if (answer.__typename === 'NotFound') return { reference, outcome: 'Unchanged', reasons: [] };
  if (answer.__typename !== 'EquipmentConditionRecord') return refused(reference, asset.equipment, answer);
  const outcome = changedSince(answer.clearedAt, started) ? 'Updated' : 'Unchanged';
  return { reference, outcome, hubReference: externalReference, reasons: [] };
}

/**
 * Whether the hub changed the record during this call (it leaves a record sent again as it was). The
 * hub stamps with its clock; a connector hosted in the hub shares it (one run elsewhere may mislabel
 * an outcome, never change what is imported).
 */
function changedSince(at: string | null | undefined, started: number): boolean {
  return at != null && Date.parse(at) >= started;
}

function refused(reference: string, path: string, answer: RecordAnswer): ImportOutcome {
  const code = answer.code ?? answer.__typename;
  const message =
    code === 'NotFound'
      ? `The hub shows no equipment ${path} to this connector: check the mapping and the connector's grants`
      : (answer.message ?? 'refused by the hub');
  return { reference, outcome: 'Rejected', reasons: [{ code, field: 'assetId', value: path, message }] };
}
