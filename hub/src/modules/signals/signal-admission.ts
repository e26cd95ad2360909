import { Equipment, Permission } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { Subjects } from '../../subjects.js';
import type { Principal } from '../../core/principal.js';
import { type DomainFailure, invalidInput, notFound } from '../../core/failures.js';
import { isEquipmentPath } from '../../core/keys.js';
import { parseSignal, signalFromBody } from './signal-parsing.js';
import type { EquipmentSignalInput } from './signals.types.js';

/**
 * The one rule for letting a machine signal onto the ingest path, whatever the door:
 * 1. it parses (subject, JSON, fields: `parseSignal`);
 * 2. its equipment exists and the principal holds SetEquipmentState there (`equipmentRefusal`).
 * Callers of the API, and through it both flow connections, get the whole rule (`admitSignals`).
 * On NATS the sender is the installation itself (equipment and gateways there hold no identity of
 * the hub): the ingest parses, then its store function checks existence against the rows it locks
 * anyway, and dead-letters what is refused.
 */

/**
 * Step 2 of the rule. Out of the principal's scope a signal is refused exactly as if the
 * equipment did not exist, so a refusal tells nothing about equipment the caller may not see.
 */
export function equipmentRefusal(principal: Principal, path: string, exists: boolean): DomainFailure | null {
  return exists && principal.can(Permission.SetEquipmentState, path) ? null : notFound('equipment', path);
}

/** A signal as it goes onto the signal stream. */
export interface SignalMessage {
  subject: string;
  payload: Buffer;
  id: string;
}

/**
 * The whole rule for signals a principal sends: each must parse exactly as the ingest will parse
 * it, then step 2 applies, with one query for all their equipment. The first refusal refuses the
 * call and names the signal (`signals[i]`), or, for equipment, its path.
 */
export async function admitSignals(
  em: Tx,
  subjects: Subjects,
  principal: Principal,
  inputs: EquipmentSignalInput[],
): Promise<SignalMessage[] | DomainFailure> {
  const messages: SignalMessage[] = [];
  // One stand-in delivery for the whole call: parsing reads only its receive time.
  const delivery = { subject: '', payload: EMPTY, attempt: 1, receivedAt: new Date(), ack: () => {}, nak: () => {} };
  // A call's signals come from a few machines: each path is checked and turned into subjects once.
  const subjectsOf = new Map<string, Record<string, string> | null>();
  for (const [i, s] of inputs.entries()) {
    let ofPath = subjectsOf.get(s.path);
    if (ofPath === undefined) {
      ofPath = isEquipmentPath(s.path) ? {} : null;
      subjectsOf.set(s.path, ofPath);
    }
    if (!ofPath)
      return invalidInput(
        `signals[${i}].path`,
        `"${s.path}" is not an equipment path such as acme/berlin/assembly/line-1/press-1.`,
      );
    ofPath[s.kind] ??= subjects.equipmentSignal(s.kind, s.path);
    const subject = ofPath[s.kind]!;
    const body = signalBody(s);
    // Checked as the ingest will check the JSON it reads back (`parseSignal`), without the round trip:
    // for a valid path and kind the subject parses back to exactly these.
    const problem =
      s.kind in subjects.signalPrefix
        ? signalFromBody(s.kind, s.path, body, delivery)
        : parseSignal(subjects, { ...delivery, subject });
    if (typeof problem === 'string') return invalidInput(`signals[${i}]`, problem);
    messages.push({ subject, payload: Buffer.from(JSON.stringify(body)), id: `${s.source}:${s.sequence}` });
  }
  const paths = [...new Set(inputs.map((s) => s.path))];
  const found = new Set((await em.find(Equipment, { path: { $in: paths } }, { fields: ['path'] })).map((e) => e.path));
  for (const path of paths) {
    const refusal = equipmentRefusal(principal, path, found.has(path));
    if (refusal) return refusal;
  }
  return messages;
}

const EMPTY = new Uint8Array(0);

/** The signal's payload on the stream: its set fields without kind and path (the subject has them). */
function signalBody(s: EquipmentSignalInput): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key in s) {
    if (key === 'kind' || key === 'path') continue;
    const value = s[key as keyof EquipmentSignalInput];
    if (value != null) body[key] = value;
  }
  if (s.at != null) body.at = s.at.toISOString();
  return body;
}
