// The SAP S/4HANA connector as the hub's connector host runs it: production orders in (polled by change
// date, or one on demand) as Draft work orders through the hub's GraphQL API, and each completed work
// order out as one confirmation with its goods movements, keyed by the delivery's idempotency key.

import {
  ConnectorError,
  defineConnector,
  request,
  type ConnectorContext,
  type HubClient,
  type ImportOutcome,
  type OutboundDelivery,
  type SettingsIssue,
  UNKNOWN_OUTCOME_WAIT_SETTING,
  unknownOutcomeWaitMs,
} from '@plantgraph/connector-sdk';
import { cancelRejectedOrder } from './cancellation.js';
import { SapS4HanaClient } from './client.js';
import { confirmationReference } from './confirmations.js';
import { externalConfirmationId } from './idempotency.js';
import { mapCompletionToConfirmation, type ConsumedLot } from './mapping/completion-to-confirmation.js';
import { mapOrderToDraft, type WorkOrderDraft } from './mapping/order-to-draft.js';
import type { SapMapping } from './mapping/types.js';
import { validateMapping } from './mapping/validate.js';
import type { SapProductionOrder } from './production-orders.js';
import { ReadAhead } from './read-ahead.js';
import { sap } from './sap-call.js';

/** Work orders imported from SAP carry this prefix in their external reference. */
export const EXTERNAL_REFERENCE_PREFIX = 'sap-s4hana:';

export const sapS4HanaConnector = defineConnector({
  type: 'sap-s4hana',
  title: 'SAP S/4HANA (production orders in, confirmations out)',
  settings: {
    baseUrl: {
      type: 'string',
      required: true,
      description: 'Scheme, host and port of the SAP Gateway, e.g. https://s4.example.com:44300',
      pattern: { regex: /^https?:\/\/[^\s/]+(\/.*)?$/, means: 'an http(s) URL' },
    },
    user: { type: 'string', description: 'SAP user for basic authentication' },
    password: { type: 'string', secret: true, description: 'Password of the SAP user' },
    sapClient: {
      type: 'string',
      description: 'SAP client (sap-client), e.g. 100',
      pattern: { regex: /^\d{3}$/, means: 'three digits' },
    },
    timeoutMs: { type: 'number', default: 30_000, min: 1000, max: 300_000, description: 'Per request, in ms' },
    unknownOutcomeWaitMs: UNKNOWN_OUTCOME_WAIT_SETTING,
    pollIntervalMs: {
      type: 'number',
      default: 60_000,
      min: 0,
      max: 86_400_000,
      description: 'How often production orders are polled, in ms; 0: on demand only',
    },
    pageSize: { type: 'number', default: 100, min: 1, max: 1000, description: 'Orders per poll page' },
    concurrency: {
      type: 'number',
      default: 8,
      min: 1,
      max: 32,
      description: 'Confirmations sent at once by each hub replica (SAP Gateway serves each in a work process)',
    },
    mapping: { type: 'json', required: true, description: 'The mapping document (see the package README)' },
  },
  validate(settings): SettingsIssue[] {
    const result = validateMapping(settings.mapping);
    return result.ok ? [] : result.issues.map((i) => ({ field: `mapping.${i.path}`, message: i.message }));
  },
  create(context: ConnectorContext) {
    const s = context.settings;
    const mapping = s.mapping as SapMapping;
    const client = new SapS4HanaClient({
      baseUrl: s.baseUrl as string,
      credentials: s.user ? { user: s.user as string, password: (s.password as string | undefined) ?? '' } : undefined,
      sapClient: s.sapClient as string | undefined,
      timeoutMs: s.timeoutMs as number,
    });
    const importOrders = (orders: SapProductionOrder[]) => importIntoHub(context.hub, orders, mapping);
    const pages = new ReadAhead((cursor: string | null) =>
      sap(() =>
        client.listChangedOrders({
          cursor: cursor ?? undefined,
          plants: mapping.plants.map((p) => p.plant),
          pageSize: s.pageSize as number,
        }),
      ),
    );
    return {
      testConnection: () => sap(() => client.testConnection()),
      close: async () => pages.clear(),
      outboundConcurrency: s.concurrency as number,
      unknownOutcomeWaitMs: unknownOutcomeWaitMs(s),
      pollIntervalMs: s.pollIntervalMs as number,
      inbound: {
        productionOrders: {
          description: 'SAP production orders (A_ProductionOrder_2) become Draft work orders',
          poll: async (cursor: string | null) => {
            const page = await pages.page(cursor);
            if (page.more) pages.readNext(page.nextCursor);
            return { cursor: page.nextCursor, more: page.more, outcomes: await importOrders(page.orders) };
          },
          importOne: async (reference: string) => {
            const order = await sap(() => client.getOrder(reference));
            if (!order)
              return rejected(reference, 'UnknownOrder', 'ManufacturingOrder', `SAP has no order ${reference}`);
            const [outcome] = await importOrders([order]);
            return outcome!;
          },
        },
      },
      outbound: {
        WorkOrderCompleted: {
          description: 'A completed work order becomes one ProdnOrdConf2 with its goods movements',
          deliver: (delivery: OutboundDelivery) => confirmCompletion(context.hub, client, mapping, delivery),
        },
        WorkOrderRejected: {
          description: 'A rejected order confirmed before: its confirmation cancelled (CancelProdnOrdConf), once',
          deliver: (delivery: OutboundDelivery) =>
            cancelRejectedOrder(context.hub, client, context.name, EXTERNAL_REFERENCE_PREFIX, delivery),
        },
      },
    };
  },
});

function rejected(reference: string, code: string, field: string, message: string, value = reference): ImportOutcome {
  return { reference, outcome: 'Rejected', reasons: [{ code, field, value, message }] };
}

/** Orders per `importWorkOrders` call: the hub's bound (a page larger than this goes in several calls). */
export const IMPORT_BATCH = 500;

/**
 * Maps the orders and creates or updates their Drafts through the hub's idempotent batch import: one
 * mutation (one transaction in the hub) per batch, an outcome per order in the order of the page.
 */
async function importIntoHub(hub: HubClient, orders: SapProductionOrder[], mapping: SapMapping) {
  const outcomes: (ImportOutcome | null)[] = [];
  const drafts: WorkOrderDraft[] = [];
  const slots: number[] = [];
  for (const order of orders) {
    const mapped = mapOrderToDraft(order, mapping);
    if (!mapped.ok) outcomes.push({ reference: order.order, outcome: 'Rejected', reasons: mapped.rejections });
    else {
      slots.push(outcomes.length);
      outcomes.push(null); // the hub's answer, below
      drafts.push(mapped.draft);
    }
  }
  for (let start = 0; start < drafts.length; start += IMPORT_BATCH) {
    const batch = drafts.slice(start, start + IMPORT_BATCH);
    const { importWorkOrders: answers } = await request<{ importWorkOrders: ImportAnswer[] }>(hub, IMPORT, {
      inputs: batch.map(toImportInput),
    });
    batch.forEach((draft, i) => {
      outcomes[slots[start + i]!] = toOutcome(draft, answers[i]!);
    });
  }
  return outcomes as ImportOutcome[]; // every slot filled: the hub answers each order of a batch
}

function toOutcome(draft: WorkOrderDraft, answer: ImportAnswer): ImportOutcome {
  const reference = draft.source.order;
  if (answer.outcome) {
    const message = answer.message ?? '';
    return {
      reference,
      outcome: answer.outcome,
      hubReference: draft.number,
      reasons: answer.outcome === 'Conflict' ? [{ code: 'Conflict', field: 'state', message }] : [],
    };
  }
  return rejected(reference, answer.code ?? 'Rejected', 'hub', answer.message ?? 'refused by the hub');
}

interface ImportAnswer {
  __typename: string;
  outcome?: 'Created' | 'Updated' | 'Unchanged' | 'Conflict';
  code?: string;
  message?: string;
}

const IMPORT = `mutation ($inputs: [ImportWorkOrderInput!]!) { importWorkOrders(inputs: $inputs) {
  __typename ... on WorkOrderImport { outcome message } ... on ErrorResult { code message } } }`;

function toImportInput(draft: WorkOrderDraft) {
  return {
    externalReference: `${EXTERNAL_REFERENCE_PREFIX}${draft.source.order}`,
    number: draft.number,
    productDefinition: draft.productDefinition,
    quantity: draft.quantity,
    unitOfMeasure: draft.unitOfMeasure,
    equipment: draft.equipment,
    plannedStart: draft.plannedStart ?? null,
    plannedEnd: draft.plannedEnd ?? null,
  };
}

const COMPLETED_ORDER = `query ($number: String!) { workOrder(number: $number) {
  number state externalReference quantity unitOfMeasure producedLot actualStart actualEnd equipment { path }
  steps { operator equipment } counts { scrapQuantity reworkQuantity }
  reservations { consumedQuantity lot { lotNumber unitOfMeasure materialDefinition { code } location { path } } } } }`;
const PRODUCED_LOT = `query ($lot: String!) {
  materialLot(lotNumber: $lot) { quantity unitOfMeasure location { path } } }`;

interface CompletedOrder {
  number: string;
  state: string;
  externalReference: string | null;
  producedLot: string | null;
  actualStart: string | null;
  actualEnd: string | null;
  equipment: { path: string };
  steps: { operator: string; equipment: string }[];
  /** What the order's machines counted while it ran: the scrap and rework SAP is told. */
  counts: { scrapQuantity: number; reworkQuantity: number };
  reservations: {
    consumedQuantity: number;
    lot: {
      lotNumber: string;
      unitOfMeasure: string;
      materialDefinition: { code: string };
      location: { path: string } | null;
    };
  }[];
}

/**
 * One confirmation per completed order: the order and its consumption from the hub, SAP's references
 * (plant, final operation, unit) from the order in SAP, then post unless SAP already holds the key.
 */
async function confirmCompletion(hub: HubClient, client: SapS4HanaClient, mapping: SapMapping, d: OutboundDelivery) {
  const { workOrder } = await request<{ workOrder: CompletedOrder | null }>(hub, COMPLETED_ORDER, {
    number: d.event.key,
  });
  if (!workOrder)
    throw new ConnectorError({ kind: 'permanent', message: `The hub shows no work order ${d.event.key}.` });
  if (!workOrder.externalReference?.startsWith(EXTERNAL_REFERENCE_PREFIX))
    return { externalReference: null, reconciled: false, skipped: `work order ${workOrder.number} is not from SAP` };
  if (workOrder.state === 'Rejected') {
    // Rejected in review: confirm nothing new (a replay must not undo the cancellation); keep what SAP holds.
    const [held] = await sap(() => client.findConfirmations(externalConfirmationId(d.key)));
    if (held) return { externalReference: confirmationReference(held), reconciled: true };
    return { externalReference: null, reconciled: false, skipped: `work order ${workOrder.number} was rejected` };
  }
  const sapOrder = workOrder.externalReference.slice(EXTERNAL_REFERENCE_PREFIX.length);
  const order = await sap(() => client.getOrder(sapOrder));
  if (!order) throw new ConnectorError({ kind: 'permanent', message: `SAP has no order ${sapOrder} any more.` });
  const mapped = mapOrderToDraft(order, mapping);
  if (!mapped.ok)
    throw new ConnectorError({ kind: 'permanent', message: mapped.rejections.map((r) => r.message).join('; ') });
  const { source } = mapped.draft;
  const produced = workOrder.producedLot
    ? (
        await request<{
          materialLot: { quantity: number; unitOfMeasure: string; location: { path: string } | null } | null;
        }>(hub, PRODUCED_LOT, { lot: workOrder.producedLot })
      ).materialLot
    : null;
  const consumedLots: ConsumedLot[] = workOrder.reservations
    .filter((r) => r.consumedQuantity > 0)
    .map((r) => ({
      lotNumber: r.lot.lotNumber,
      materialDefinition: r.lot.materialDefinition.code,
      quantity: r.consumedQuantity,
      unitOfMeasure: r.lot.unitOfMeasure,
      location: r.lot.location?.path,
    }));
  const confirmation = mapCompletionToConfirmation(
    {
      idempotencyKey: d.key,
      order: sapOrder,
      operation: source.finalOperation,
      plant: source.plant,
      material: source.material,
      orderUnit: source.unit,
      yield: produced?.quantity ?? 0,
      scrap: workOrder.counts.scrapQuantity,
      rework: workOrder.counts.reworkQuantity,
      unitOfMeasure: produced?.unitOfMeasure ?? mapped.draft.unitOfMeasure,
      final: true,
      postingDate: new Date(workOrder.actualEnd ?? d.event.at),
      startedAt: workOrder.actualStart ? new Date(workOrder.actualStart) : undefined,
      finishedAt: workOrder.actualEnd ? new Date(workOrder.actualEnd) : undefined,
      equipment: workOrder.steps.at(-1)?.equipment ?? workOrder.equipment.path,
      personnel: [...new Set(workOrder.steps.map((s) => s.operator))],
      consumedLots,
      producedLot: workOrder.producedLot
        ? { lotNumber: workOrder.producedLot, location: produced?.location?.path }
        : undefined,
    },
    mapping,
  );
  if (!confirmation.ok) {
    const message = confirmation.problems.map((p) => `mapping ${p.path}: ${p.message}`).join('; ');
    throw new ConnectorError({ kind: 'permanent', message });
  }
  const delivered = await sap(() =>
    client.deliverConfirmation(confirmation.payload, { reconcileFirst: d.lastFailure === 'ambiguous' }),
  );
  return { externalReference: confirmationReference(delivered.confirmation), reconciled: delivered.reconciled };
}
