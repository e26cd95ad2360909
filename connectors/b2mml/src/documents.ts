// One B2MML document in, one answer out. The document is checked against the project's V0701 schema
// first: an invalid one (or a noun or verb the connector does not take) imports nothing and is answered
// with a ConfirmBOD listing each problem with its line. A valid one is imported record by record:
// - ProcessOperationsSchedule / SyncOperationsSchedule: the production requests go to the hub's
//   `importWorkOrders` in one call per 500 (one transaction each); each request gets its own outcome,
//   a refused request leaves the others alone, as in the SAP connector's batch import;
// - Process/Sync Equipment, MaterialDefinition, MaterialLot: created or updated one by one;
// - Get Equipment, MaterialDefinition, MaterialLot: answered with Show (master data export);
// and answered with Acknowledge<Noun> (outcome and reasons per record), or nothing when the sender asked
// for answers only on error (`acknowledgeCode="OnError"`) and there was none.

import type { HubClient, ImportOutcome } from '@plantgraph/connector-sdk';
import { request } from '@plantgraph/connector-sdk';
import { equipmentIn, equipmentOut, importEquipment, readHubEquipment } from './equipment.js';
import {
  importMaterialDefinitions,
  importMaterialLots,
  materialDefinitionOut,
  materialDefinitionsIn,
  materialLotOut,
  materialLotsIn,
  readHubMaterialDefinitions,
  readHubMaterialLots,
} from './material.js';
import { acknowledge, notice, type RecordAnswer, refusal, show } from './messages.js';
import { readSchedules, type WorkOrderDraft } from './schedule.js';
import { describeProblems, validateDocument } from './validate.js';
import { child, children, parseDocument, text, type XmlNode, type XmlOut } from './xml.js';

export interface DocumentResult {
  /** The answer to write back (Acknowledge, Show or ConfirmBOD); null when none was asked for. */
  answer: string | null;
  /** False when the document was refused as a whole (nothing imported). */
  accepted: boolean;
  /** One per record, references prefixed by the noun (e.g. `OperationsRequest:WO-1001`). */
  outcomes: ImportOutcome[];
}

const NOUNS = ['OperationsSchedule', 'Equipment', 'MaterialDefinition', 'MaterialLot'] as const;
const VERBS = ['Process', 'Sync', 'Get'] as const;

/** Orders per `importWorkOrders` call: the hub's bound. */
export const IMPORT_BATCH = 500;

export async function handleDocument(
  hub: HubClient,
  instance: string,
  xml: string,
  name: string,
  answerId: string,
): Promise<DocumentResult> {
  const refuse = (problems: string[]): DocumentResult => ({
    answer: refusal(instance, answerId, name, problems),
    accepted: false,
    outcomes: [{ reference: `Document:${name}`, outcome: 'Rejected', reasons: problems.map(asReason) }],
  });
  // xmllint-wasm validates in a worker thread: the document is parsed here meanwhile, and used only
  // once the schema accepted it (a parse failure then means nothing: the schema's words are given).
  const checking = validateDocument(xml, name);
  let parsed: ReturnType<typeof parseDocument> | null = null;
  try {
    parsed = parseDocument(xml);
  } catch {}
  const check = await checking;
  if (!check.valid) return refuse(describeProblems(check.problems));
  const { root, node } = parsed ?? parseDocument(xml);
  const verb = VERBS.find((v) => root.startsWith(v));
  const noun = NOUNS.find((n) => root === `${verb}${n}`);
  if (!verb || !noun || (verb === 'Get' && noun === 'OperationsSchedule'))
    return refuse([
      `${root} is not taken here: send Process or Sync OperationsSchedule, Equipment, MaterialDefinition or ` +
        'MaterialLot, or Get Equipment, MaterialDefinition or MaterialLot',
    ]);
  const dataArea = child(node, 'DataArea')!;
  if (verb === 'Get' && noun !== 'OperationsSchedule')
    return { answer: await showMasterData(hub, instance, answerId, noun, node), accepted: true, outcomes: [] };
  const outcomes = await importNoun(hub, noun, dataArea, `B2MML ${root} ${name}`);
  const answers: RecordAnswer[] = outcomes.map((o) => ({
    record: o.reference.replace(':', ' '),
    outcome: o.outcome,
    reasonCode: o.reasons[0]?.code,
    reasons: o.reasons.map((r) => r.message),
  }));
  const onErrorOnly = child(dataArea, verb)?.['@_acknowledgeCode'] === 'OnError';
  const failed = outcomes.some((o) => o.outcome === 'Rejected' || o.outcome === 'Conflict');
  const records = children(dataArea, noun);
  const echoed = noun === 'OperationsSchedule' ? records.map(scheduleIdentity) : (records as unknown as XmlOut[]);
  const answer = onErrorOnly && !failed ? null : acknowledge(instance, answerId, noun, node, echoed, answers);
  return { answer, accepted: true, outcomes };
}

/**
 * A schedule as its Acknowledge repeats it: the IDs that identify it, its requests and their segments
 * (what V0701 requires of them), not the whole schedule again (a 1,000-order week is some 3 MB).
 */
function scheduleIdentity(schedule: XmlNode): XmlOut {
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

function asReason(message: string): ImportOutcome['reasons'][number] {
  return { code: 'InvalidDocument', field: 'document', message };
}

async function importNoun(hub: HubClient, noun: (typeof NOUNS)[number], dataArea: XmlNode, reason: string) {
  const prefixed = (outcomes: ImportOutcome[], prefix: string) =>
    outcomes.map((o) => ({ ...o, reference: `${prefix}:${o.reference}` }));
  switch (noun) {
    case 'OperationsSchedule':
      return prefixed(await importSchedules(hub, dataArea), 'OperationsRequest');
    case 'Equipment':
      return prefixed(await importEquipment(hub, equipmentIn(dataArea)), 'Equipment');
    case 'MaterialDefinition':
      return prefixed(await importMaterialDefinitions(hub, materialDefinitionsIn(dataArea)), 'MaterialDefinition');
    case 'MaterialLot':
      return prefixed(await importMaterialLots(hub, materialLotsIn(dataArea), reason), 'MaterialLot');
  }
}

interface ImportAnswer {
  __typename: string;
  outcome?: 'Created' | 'Updated' | 'Unchanged' | 'Conflict';
  code?: string;
  message?: string;
}

const IMPORT = `mutation ($inputs: [ImportWorkOrderInput!]!) { importWorkOrders(inputs: $inputs) {
  __typename ... on WorkOrderImport { outcome message } ... on ErrorResult { code message } } }`;

/** The schedules' requests through `importWorkOrders`, one outcome per request in document order. */
export async function importSchedules(hub: HubClient, dataArea: XmlNode): Promise<ImportOutcome[]> {
  const mappings = readSchedules(dataArea);
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

/**
 * `Show<Noun>` for a `Get<Noun>`: the records whose IDs the Get names, `*` for all the connector may read;
 * for equipment an ID names that equipment and everything under it.
 */
export async function showMasterData(
  hub: HubClient,
  instance: string,
  answerId: string,
  noun: 'Equipment' | 'MaterialDefinition' | 'MaterialLot',
  get: XmlNode | null,
): Promise<string> {
  const ids = get ? children(child(get, 'DataArea'), noun).map((n) => text(n, 'ID')!) : ['*'];
  const all = ids.includes('*');
  const answer = (records: XmlOut[]) =>
    records.length
      ? show(instance, answerId, noun, get, records)
      : notice(instance, answerId, `Get${noun}`, [
          `No ${noun} matches the IDs ${ids.join(', ')} (or none you may read).`,
        ]);
  switch (noun) {
    case 'Equipment': {
      const lists = all ? [await readHubEquipment(hub)] : await Promise.all(ids.map((id) => readHubEquipment(hub, id)));
      const unique = [...new Map(lists.flat().map((e) => [e.path, e])).values()];
      return answer(equipmentOut(unique));
    }
    case 'MaterialDefinition': {
      const list = (await readHubMaterialDefinitions(hub)).filter((d) => all || ids.includes(d.code));
      return answer(list.map(materialDefinitionOut));
    }
    case 'MaterialLot': {
      const list = (await readHubMaterialLots(hub)).filter((l) => all || ids.includes(l.lotNumber));
      return answer(list.map(materialLotOut));
    }
  }
}
