// A schedule's production requests into the hub: `importWorkOrders` in calls of 500 (one transaction
// each), one outcome per request in document order, as the SAP connector's batch import. A Change
// document alters orders the hub holds and has not released: a request for an order the hub does not
// hold is refused (Process creates it), one for a released order is a Conflict (the hub's import keeps it).

import { type HubClient, type ImportOutcome, request } from '@plantgraph/connector-sdk';
import { notHeld } from './equipment.js';
import { type RequestMapping, readSchedules, type WorkOrderDraft } from './schedule.js';
import { children, text, type XmlNode, type XmlOut } from './xml.js';

/** Orders per `importWorkOrders` call: the hub's bound. */
export const IMPORT_BATCH = 500;

interface ImportAnswer {
  __typename: string;
  outcome?: 'Created' | 'Updated' | 'Unchanged' | 'Conflict';
  code?: string;
  message?: string;
}

const IMPORT = `mutation ($inputs: [ImportWorkOrderInput!]!) { importWorkOrders(inputs: $inputs) {
  __typename ... on WorkOrderImport { outcome message } ... on ErrorResult { code message } } }`;

/**
 * The schedules' requests through `importWorkOrders`, one outcome per request in document order; with
 * `changeOnly` (ChangeOperationsSchedule) only those for orders the hub already holds.
 */
export async function importSchedules(hub: HubClient, dataArea: XmlNode, changeOnly = false): Promise<ImportOutcome[]> {
  const mappings = changeOnly ? await heldOnly(hub, dataArea, readSchedules(dataArea)) : readSchedules(dataArea);
  const outcomes: ImportOutcome[] = mappings.map((m) =>
    m.ok
      ? { reference: m.requestId, outcome: 'Rejected', reasons: [] }
      : { reference: m.requestId, outcome: 'Rejected', reasons: m.reasons },
  );
  const drafts: { slot: number; draft: WorkOrderDraft }[] = [];
  mappings.forEach((m, slot) => {
    if (m.ok) drafts.push({ slot, draft: m.draft });
  });
  for (let start = 0; start < drafts.length; start += IMPORT_BATCH) {
    const batch = drafts.slice(start, start + IMPORT_BATCH);
    const { importWorkOrders: answers } = await request<{ importWorkOrders: ImportAnswer[] }>(hub, IMPORT, {
      inputs: batch.map((b) => b.draft),
    });
    batch.forEach(({ slot, draft }, i) => {
      const answer = answers[i]!;
      outcomes[slot] = answer.outcome
        ? {
            reference: draft.number,
            outcome: answer.outcome,
            hubReference: draft.number,
            reasons:
              answer.outcome === 'Conflict'
                ? [{ code: 'Conflict', field: 'state', message: answer.message ?? '' }]
                : [],
          }
        : {
            reference: draft.number,
            outcome: 'Rejected',
            reasons: [
              { code: answer.code ?? 'Rejected', field: 'hub', message: `the hub refused it: ${answer.message}` },
            ],
          };
    });
  }
  return outcomes;
}

const HELD_BATCH = 200;

/** The mappings with each request for an order the hub does not hold refused: a Change alters, Process creates. */
async function heldOnly(hub: HubClient, dataArea: XmlNode, mappings: RequestMapping[]): Promise<RequestMapping[]> {
  // readSchedules maps every request in document order, one mapping each: the paths line up.
  const paths = children(dataArea, 'OperationsSchedule').flatMap((schedule, s) =>
    children(schedule, 'OperationsRequest').map((_, r) => `OperationsSchedule[${s + 1}]/OperationsRequest[${r + 1}]`),
  );
  const wanted = mappings.filter((m) => m.ok).map((m) => m.requestId);
  const held = new Set<string>();
  for (let start = 0; start < wanted.length; start += HELD_BATCH) {
    const numbers = wanted.slice(start, start + HELD_BATCH);
    const query = `query (${numbers.map((_, i) => `$n${i}: String!`).join(', ')}) {
      ${numbers.map((_, i) => `o${i}: workOrder(number: $n${i}) { number }`).join('\n')} }`;
    const found = await request<Record<string, { number: string } | null>>(
      hub,
      query,
      Object.fromEntries(numbers.map((n, i) => [`n${i}`, n])),
    );
    for (const order of Object.values(found)) if (order) held.add(order.number);
  }
  return mappings.map((m, i) =>
    !m.ok || held.has(m.requestId)
      ? m
      : {
          ok: false,
          requestId: m.requestId,
          reasons: [notHeld(`${paths[i]}/ID`, `work order ${m.requestId}`, 'ProcessOperationsSchedule')],
        },
  );
}

/**
 * A schedule as its Acknowledge repeats it: the IDs that identify it, its requests and their segments
 * (what V0701 requires of them), not the whole schedule again (a 1,000-order week is some 3 MB).
 */
export function scheduleIdentity(schedule: XmlNode): XmlOut {
  return {
    ID: text(schedule, 'ID') ?? '',
    OperationsRequest: children(schedule, 'OperationsRequest').map((request) => ({
      ID: text(request, 'ID') ?? '',
      SegmentRequirement: children(request, 'SegmentRequirement').map((segment) => ({
        ID: text(segment, 'ID') ?? '',
        ProcessSegmentID: text(segment, 'ProcessSegmentID') ?? '',
        OperationsDefinitionID: text(segment, 'OperationsDefinitionID') ?? '',
        OperationsSegmentID: text(segment, 'OperationsSegmentID') ?? '',
      })),
    })),
  };
}
