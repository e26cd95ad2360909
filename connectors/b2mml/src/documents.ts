// One B2MML document in, one answer out. The document is checked against the project's V0701 schema
// first: an invalid one (or a noun or verb the connector does not take) imports nothing and is answered
// with a ConfirmBOD listing each problem with its line. A valid one is imported record by record, and
// answered with the verb B2MML pairs with the one received:
// - Process and Sync: created or updated, answered with Acknowledge<Noun> (outcome and reasons per record);
// - Change: only what the hub holds is altered (a schedule's orders while not released), answered with
//   Respond<Noun>; a record the hub does not hold is refused, naming the Process that would create it;
// - Get (master data): answered with Show<Noun>, the export.
// A schedule's production requests go to the hub's `importWorkOrders` (schedule-import.ts); master data
// (EquipmentClass, Equipment, MaterialClass, MaterialDefinition, MaterialLot) is imported one by one.
// With `acknowledgeCode="OnError"` (Process) or `responseCode="OnError"` (Change) the answer is left out
// when no record failed.

import type { HubClient, ImportOutcome } from '@plantgraph/connector-sdk';
import { type ClassNoun, classesIn, classOut, importClasses, readHubClasses } from './classes.js';
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
import { answerTo, notice, type RecordAnswer, refusal, show } from './messages.js';
import { importSchedules, scheduleIdentity } from './schedule-import.js';
import { describeProblems, validateDocument } from './validate.js';
import { child, children, parseDocument, text, type XmlNode, type XmlOut } from './xml.js';

export interface DocumentResult {
  /** The answer to write back (Acknowledge, Respond, Show or ConfirmBOD); null when none was asked for. */
  answer: string | null;
  /** False when the document was refused as a whole (nothing imported). */
  accepted: boolean;
  /** One per record, references prefixed by the noun (e.g. `OperationsRequest:WO-1001`). */
  outcomes: ImportOutcome[];
}

const MASTER_DATA = ['EquipmentClass', 'Equipment', 'MaterialClass', 'MaterialDefinition', 'MaterialLot'] as const;
const NOUNS = ['OperationsSchedule', ...MASTER_DATA] as const;
const VERBS = ['Process', 'Sync', 'Change', 'Get'] as const;
type Noun = (typeof NOUNS)[number];
type MasterDataNoun = (typeof MASTER_DATA)[number];

/** What each verb taken is answered with (B2MML's verb pairs; Sync is answered as Process is). */
const ANSWER_VERB = { Process: 'Acknowledge', Sync: 'Acknowledge', Change: 'Respond' } as const;

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
      `${root} is not taken here: send Process, Sync or Change with OperationsSchedule, ${MASTER_DATA.join(', ')}, ` +
        `or Get with ${MASTER_DATA.join(', ')}`,
    ]);
  const dataArea = child(node, 'DataArea')!;
  if (verb === 'Get')
    return {
      answer: await showMasterData(hub, instance, answerId, noun as MasterDataNoun, node),
      accepted: true,
      outcomes: [],
    };
  const outcomes = await importNoun(hub, noun, dataArea, `B2MML ${root} ${name}`, verb === 'Change');
  const answers: RecordAnswer[] = outcomes.map((o) => ({
    record: o.reference.replace(':', ' '),
    outcome: o.outcome,
    reasonCode: o.reasons[0]?.code,
    reasons: o.reasons.map((r) => r.message),
  }));
  const verbElement = child(dataArea, verb);
  const onErrorOnly = (verbElement?.['@_acknowledgeCode'] ?? verbElement?.['@_responseCode']) === 'OnError';
  const failed = outcomes.some((o) => o.outcome === 'Rejected' || o.outcome === 'Conflict');
  const records = children(dataArea, noun);
  const echoed = noun === 'OperationsSchedule' ? records.map(scheduleIdentity) : (records as unknown as XmlOut[]);
  const answer =
    onErrorOnly && !failed ? null : answerTo(ANSWER_VERB[verb], instance, answerId, noun, node, echoed, answers);
  return { answer, accepted: true, outcomes };
}

function asReason(message: string): ImportOutcome['reasons'][number] {
  return { code: 'InvalidDocument', field: 'document', message };
}

async function importNoun(hub: HubClient, noun: Noun, dataArea: XmlNode, reason: string, changeOnly: boolean) {
  const prefixed = (outcomes: ImportOutcome[]) =>
    outcomes.map((o) => ({ ...o, reference: `${prefix}:${o.reference}` }));
  const prefix = noun === 'OperationsSchedule' ? 'OperationsRequest' : noun;
  switch (noun) {
    case 'OperationsSchedule':
      return prefixed(await importSchedules(hub, dataArea, changeOnly));
    case 'EquipmentClass':
    case 'MaterialClass':
      return prefixed(await importClasses(hub, noun, classesIn(noun, dataArea), changeOnly));
    case 'Equipment':
      return prefixed(await importEquipment(hub, equipmentIn(dataArea), changeOnly));
    case 'MaterialDefinition':
      return prefixed(await importMaterialDefinitions(hub, materialDefinitionsIn(dataArea), changeOnly));
    case 'MaterialLot':
      return prefixed(await importMaterialLots(hub, materialLotsIn(dataArea), reason, changeOnly));
  }
}

/**
 * `Show<Noun>` for a `Get<Noun>`: the records whose IDs the Get names, `*` for all the connector may read;
 * for equipment an ID names that equipment and everything under it.
 */
export async function showMasterData(
  hub: HubClient,
  instance: string,
  answerId: string,
  noun: MasterDataNoun,
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
    case 'EquipmentClass':
    case 'MaterialClass': {
      const list = (await readHubClasses(hub, noun)).filter((c) => all || ids.includes(c.code));
      return answer(list.map((c) => classOut(noun as ClassNoun, c)));
    }
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
