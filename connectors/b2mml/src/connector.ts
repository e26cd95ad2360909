// The B2MML V0701 connector as the hub's connector host runs it: documents in from a watched folder
// (schedules as work orders, master data), answers and OperationsPerformance out to another. It acts
// through the hub's GraphQL as its own principal, with the grants given to it.

import { join } from 'node:path';
import {
  ConnectorError,
  defineConnector,
  type ConnectorContext,
  type EndpointRequest,
  type EndpointResponse,
  type HubClient,
  type OutboundDelivery,
  request,
} from '@plantgraph/connector-sdk';
import { createHash } from 'node:crypto';
import { handleDocument } from './documents.js';
import { checkFolders, exists, type Folders, pollInbox, writeAtomically } from './folders.js';
import { type CompletedOrder, performanceDocument, type ProducedLot, requestIdOf } from './performance.js';
import { describeProblems, validateDocument } from './validate.js';

const folder = { regex: /^\/.+/, means: 'an absolute folder path' };

export const b2mmlConnector = defineConnector({
  type: 'b2mml',
  title: 'B2MML V0701 (OperationsSchedule in as work orders, OperationsPerformance out, master data both ways)',
  settings: {
    inboxDir: {
      type: 'string',
      required: true,
      pattern: folder,
      description: 'Folder the ERP drops B2MML documents into (*.xml, renamed in when complete)',
    },
    outboxDir: {
      type: 'string',
      required: true,
      pattern: folder,
      description: 'Folder the connector writes answers and OperationsPerformance documents to',
    },
    pollIntervalMs: {
      type: 'number',
      default: 2000,
      min: 0,
      max: 3_600_000,
      description: 'How often the inbox is read, in ms; 0: on demand only (pollConnector)',
    },
    documentsPerPoll: { type: 'number', default: 20, min: 1, max: 1000, description: 'Documents taken per poll' },
  },
  create(context: ConnectorContext) {
    const s = context.settings;
    const folders: Folders = { inbox: s.inboxDir as string, outbox: s.outboxDir as string };
    return {
      testConnection: async () => {
        const started = performance.now();
        await checkFolders(folders).catch((error: Error) => {
          throw new ConnectorError({ kind: 'permanent', message: error.message });
        });
        return { roundTripMs: performance.now() - started, detail: `inbox ${folders.inbox}, outbox ${folders.outbox}` };
      },
      pollIntervalMs: s.pollIntervalMs as number,
      outboundConcurrency: 2,
      inbound: {
        documents: {
          description: 'B2MML documents from the inbox folder: schedules as work orders, master data, Get requests',
          poll: () => pollInbox(context.hub, context.name, folders, s.documentsPerPoll as number),
        },
      },
      endpoints: {
        documents: {
          description: 'POST a B2MML document (Process/Sync/Get); the answer comes back in the response',
          handle: (r: EndpointRequest) => postDocument(context.hub, context.name, r),
        },
      },
      outbound: {
        WorkOrderCompleted: {
          description: 'A completed order from an OperationsRequest becomes a ProcessOperationsPerformance file',
          deliver: (d: OutboundDelivery) => deliverPerformance(context.hub, context.name, folders, d),
        },
      },
    };
  },
});

/**
 * A document over HTTP: 200 with the Acknowledge, Respond or Show, 400 with the ConfirmBOD of a refused
 * document (nothing imported), 204 when the sender asked for answers on error only and there was none.
 * The outcomes go to the import log (`connectorImports`) as the inbox's do, a refusal under
 * `Document:<BODID>` (the sender's, else `http-` and the body's digest) where the inbox names the file.
 */
async function postDocument(hub: HubClient, instance: string, r: EndpointRequest): Promise<EndpointResponse> {
  const digest = createHash('sha256').update(r.body).digest('hex');
  const answerId = createHash('sha256').update(r.caller).update(r.body).digest('hex').slice(0, 32);
  const result = await handleDocument(hub, instance, r.body, documentName(r.body, digest), answerId);
  const contentType = 'application/xml; charset=utf-8';
  const { outcomes } = result;
  if (!result.answer) return { status: 204, contentType, body: '', outcomes };
  return { status: result.accepted ? 200 : 400, contentType, body: result.answer, outcomes };
}

/**
 * The name an HTTP document goes by in answers and the import log: its sender's BODID (read without
 * parsing, since a refused document may not parse), else a digest of the body, so a replay of the same
 * document names the same record.
 */
export function documentName(xml: string, digest: string): string {
  const area = /<(?:[\w-]+:)?ApplicationArea\b[\s\S]*?<\/(?:[\w-]+:)?ApplicationArea>/.exec(xml)?.[0] ?? '';
  const bodId = /<(?:[\w-]+:)?BODID>\s*([^<]*?)\s*</.exec(area)?.[1];
  return bodId || `http-${digest.slice(0, 16)}`;
}

const COMPLETED_ORDER = `query ($number: String!) { workOrder(number: $number) {
  number state externalReference quantity unitOfMeasure producedLot actualStart actualEnd
  equipment { path level } productDefinitionVersion { productDefinition { code } }
  counts { goodQuantity scrapQuantity reworkQuantity }
  reservations { consumedQuantity lot { lotNumber unitOfMeasure materialDefinition { code } } } } }`;
const PRODUCED_LOT = `query ($lot: String!) {
  materialLot(lotNumber: $lot) { lotNumber quantity unitOfMeasure materialDefinition { code } } }`;

/**
 * One performance file per completed order, named by the order and the delivery's key (also its BODID):
 * a retry or a replay that finds the file reports it reconciled instead of writing a second one.
 */
export async function deliverPerformance(hub: HubClient, instance: string, folders: Folders, d: OutboundDelivery) {
  const { workOrder } = await request<{ workOrder: CompletedOrder | null }>(hub, COMPLETED_ORDER, {
    number: d.event.key,
  });
  if (!workOrder)
    throw new ConnectorError({ kind: 'permanent', message: `The hub shows no work order ${d.event.key}.` });
  if (!requestIdOf(workOrder))
    return { externalReference: null, reconciled: false, skipped: `work order ${workOrder.number} is not from B2MML` };
  const name = `OperationsPerformance-${workOrder.number.replace(/[^A-Za-z0-9._-]/g, '_')}-${d.key.slice(0, 16)}.xml`;
  if (await exists(join(folders.outbox, name))) return { externalReference: name, reconciled: true };
  const produced = workOrder.producedLot
    ? (await request<{ materialLot: ProducedLot | null }>(hub, PRODUCED_LOT, { lot: workOrder.producedLot }))
        .materialLot
    : null;
  const xml = performanceDocument(instance, d.key, workOrder, produced, new Date(d.event.at));
  const check = await validateDocument(xml, name);
  if (!check.valid)
    throw new ConnectorError({
      kind: 'permanent',
      message: `The performance of ${workOrder.number} does not pass the V0701 schema: ${describeProblems(
        check.problems,
      ).join('; ')}`,
    });
  await writeAtomically(folders.outbox, name, xml);
  return { externalReference: name, reconciled: false };
}
