// The transaction envelope of every message (ApplicationArea, the verb) and the answers the connector
// gives: Acknowledge<Noun> (Respond<Noun> to a Change) with one ResponseCriteria per record (what became
// of it and why), and ConfirmBOD for a document it could not read at all (not XML, not valid, a noun or
// verb it does not take).

import { child, text, type XmlNode, type XmlOut, writeDocument } from './xml.js';

/** The connector's name in Sender/LogicalID, e.g. `plantgraph:b2mml`. */
export function senderId(instance: string): string {
  return `plantgraph:${instance}`;
}

export function applicationArea(instance: string, bodId: string, at = new Date()): XmlOut {
  return {
    Sender: { LogicalID: senderId(instance) },
    CreationDateTime: at.toISOString(),
    BODID: bodId,
  };
}

/** The sender's ApplicationArea as received, to echo as OriginalApplicationArea (the fields the schema knows). */
export function originalApplicationArea(message: XmlNode): XmlOut | undefined {
  const area = child(message, 'ApplicationArea');
  const created = text(area, 'CreationDateTime');
  if (!area || !created) return undefined;
  const sender = child(area, 'Sender');
  return {
    Sender: sender ? { LogicalID: text(sender, 'LogicalID'), ComponentID: text(sender, 'ComponentID') } : undefined,
    CreationDateTime: created,
    BODID: text(area, 'BODID'),
  };
}

/** What became of one record of a document, as the answer tells it. */
export interface RecordAnswer {
  /** e.g. `OperationsRequest WO-1001`. */
  record: string;
  /** Created, Updated, Unchanged, Conflict, Rejected. */
  outcome: string;
  reasonCode?: string;
  reasons: string[];
}

/**
 * The answer to a document that was taken: `Acknowledge<Noun>` to a Process or Sync, `Respond<Noun>` to a
 * Change (B2MML's verb pairs), with the records as received and per record its outcome and reasons.
 */
export function answerTo(
  verb: 'Acknowledge' | 'Respond',
  instance: string,
  bodId: string,
  noun: string,
  original: XmlNode,
  records: XmlOut[],
  answers: RecordAnswer[],
): string {
  return writeDocument(`${verb}${noun}`, {
    ApplicationArea: applicationArea(instance, bodId),
    DataArea: {
      [verb]: {
        OriginalApplicationArea: originalApplicationArea(original),
        ResponseCriteria: answers.map((a) => ({
          ChangeStatus: {
            Code: a.outcome,
            Description: [`${a.record}: ${a.outcome}`, ...a.reasons],
            ReasonCode: a.reasonCode,
          },
        })),
      },
      [noun]: records,
    },
  });
}

/** `Show<Noun>` answering a `Get<Noun>`, or a master data export. */
export function show(
  instance: string,
  bodId: string,
  noun: string,
  original: XmlNode | null,
  records: XmlOut[],
): string {
  return writeDocument(`Show${noun}`, {
    ApplicationArea: applicationArea(instance, bodId),
    DataArea: {
      Show: { OriginalApplicationArea: original ? originalApplicationArea(original) : undefined },
      [noun]: records,
    },
  });
}

/** `ConfirmBOD` refusing a whole document: nothing of it was imported; each problem on its own Note. */
export function refusal(instance: string, bodId: string, document: string, problems: string[]): string {
  const description = `Refused ${document}: nothing of it was imported. Fix the problems below and send it again.`;
  return notice(instance, bodId, description, problems);
}

/** `ConfirmBOD` with a description and one Note per line. */
export function notice(instance: string, bodId: string, description: string, notes: string[]): string {
  return writeDocument('ConfirmBOD', {
    ApplicationArea: applicationArea(instance, bodId),
    DataArea: {
      Confirm: {},
      BOD: {
        Description: description,
        Note: notes,
      },
    },
  });
}
