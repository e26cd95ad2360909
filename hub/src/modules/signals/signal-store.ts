import { executeBound, type Tx } from '../../infrastructure/database/database.js';
import type { Subjects } from '../../subjects.js';
import type { DomainEvent, SequencedEvent } from '../../core/event-outbox.js';
import { stateReportInput } from '../equipment/equipment-state.js';
import type { ParsedSignal } from './signal-parsing.js';

export interface StoredBatch {
  /** The batch's events as numbered in the outbox (state changes, counts, values, dead letters). */
  numbered: SequencedEvent[];
  /** Signals refused because no equipment has their path (each has a dead letter). */
  unknown: ParsedSignal[];
  /** Equipment that got new counts or state history (for live OEE). */
  equipmentIds: string[];
  stored: number;
  duplicates: number;
}

/** The batch's dead letters: refused before the store (`leading`) and for unknown equipment. */
export interface DeadLetters {
  leading: DomainEvent[];
  unknown: (signal: ParsedSignal) => DomainEvent;
}

interface StoreAnswer {
  unknownPaths?: string[];
  events: AnsweredEvents;
  stored: number;
  duplicates: number;
  unknown: number[];
  equipmentIds: string[];
}

/**
 * The batch's events as the store names them (ADR 0068), numbered from `first` in this order: state
 * changes, counts, values, dead letters, each by its 1-based position in the signals (the letters).
 */
interface AnsweredEvents {
  first: number | string | null;
  ids: string[];
  states: { n: number[]; id: (number | string)[]; previous: (string | null)[] };
  counts: number[];
  values: number[];
  letters: number[];
  equipment: Record<string, string> | null;
}

/** Calls of the store per batch at most: equipment may come and go between a call and the next. */
const STORE_CALLS = 3;

/**
 * Stores one batch of signals and its events in one call of `plantgraph_store_signals` (ADR 0062):
 * one statement, so one round trip and its own transaction, which numbers the events in the outbox
 * last and commits at once. What it does, and the one rule by which states are judged, is in the
 * function (migration 20261203150000); its answer names the events, which are built here from the
 * signals (ADR 0068, migration 20261204040000). A signal for equipment that does not exist gets a dead letter
 * with its raw payload, which only the hub has: the first call then answers with the unknown paths
 * and writes nothing, and the second carries their letters (a rare batch pays a second round trip).
 * `em` must not be in a transaction: on the embedded database a second connection inside one would
 * wait for it.
 */
export async function storeSignals(
  em: Tx,
  subjects: Subjects,
  signals: ParsedSignal[],
  deadLetters: DeadLetters,
): Promise<StoredBatch> {
  const inputs = signals.map(toStoreInput);
  const input = JSON.stringify(inputs);
  const prefixes = JSON.stringify({
    state: subjects.equipmentStateChanged(''),
    count: subjects.productionCounted(''),
    value: subjects.processValueReported(''),
  });
  const letters: (DomainEvent & { i?: number })[] = [...deadLetters.leading];
  const lettered = new Set<string>();
  for (let call = 1; ; call++) {
    const sent = letters.map(toLetter);
    const [row] = await executeBound<{ answer: StoreAnswer }>(
      em,
      'select plantgraph_store_signals($1::jsonb, $2::jsonb, $3::jsonb) as answer',
      [input, JSON.stringify(sent), prefixes],
    );
    const answer = typeof row!.answer === 'string' ? (JSON.parse(row!.answer) as StoreAnswer) : row!.answer;
    if (!answer.unknownPaths) return toStoredBatch(answer, signals, inputs, sent, subjects);
    if (call === STORE_CALLS)
      throw new Error(`equipment ${answer.unknownPaths.join(', ')} kept changing while the batch was stored.`);
    for (const path of answer.unknownPaths) lettered.add(path);
    letters.length = deadLetters.leading.length;
    signals.forEach((s, index) => {
      if (lettered.has(s.path)) letters.push({ ...deadLetters.unknown(s), i: index + 1 });
    });
  }
}

function toStoredBatch(
  answer: StoreAnswer,
  signals: ParsedSignal[],
  inputs: Record<string, unknown>[],
  letters: Letter[],
  subjects: Subjects,
) {
  return {
    numbered: numberedEvents(answer.events, signals, inputs, letters, subjects),
    unknown: answer.unknown.map((i) => signals[i]!),
    equipmentIds: answer.equipmentIds,
    stored: answer.stored,
    duplicates: answer.duplicates,
  } satisfies StoredBatch;
}

/**
 * The events the store numbered, built from the signals as the store functions build their data for
 * the outbox (`test/ingest-one-call.e2e.test.ts` holds both equal): the answer names them only.
 */
function numberedEvents(
  named: AnsweredEvents,
  signals: ParsedSignal[],
  inputs: Record<string, unknown>[],
  letters: Letter[],
  subjects: Subjects,
): SequencedEvent[] {
  if (named.first === null) return [];
  // The time as sent to the store (`toStoreInput`), which its events carry as text.
  const at = (n: number) => inputs[n - 1]!.at as string;
  const first = Number(named.first);
  const events: SequencedEvent[] = [];
  const add = (subject: string, data: Record<string, unknown>) =>
    events.push({ seq: first + events.length, eventId: named.ids[events.length]!, subject, data });
  named.states.n.forEach((n, k) => {
    const s = signals[n - 1] as Extract<ParsedSignal, { kind: 'state' }>;
    add(subjects.equipmentStateChanged(s.path), {
      type: 'EquipmentStateChanged',
      id: String(named.states.id[k]),
      equipmentId: named.equipment![s.path],
      path: s.path,
      state: s.state,
      previousState: named.states.previous[k],
      reason: s.reason,
      at: at(n),
      source: s.source,
      sequence: String(s.sequence),
      applied: true,
    });
  });
  for (const n of named.counts) {
    const s = signals[n - 1] as Extract<ParsedSignal, { kind: 'count' | 'cycle' }>;
    add(subjects.productionCounted(s.path), {
      type: 'ProductionCounted',
      path: s.path,
      good: s.good,
      scrap: s.scrap,
      rework: s.rework,
      cycleTimeMs: s.cycleTimeMs,
      at: at(n),
    });
  }
  for (const n of named.values) {
    const s = signals[n - 1] as Extract<ParsedSignal, { kind: 'value' }>;
    add(subjects.processValueReported(s.path), {
      type: 'ProcessValueReported',
      path: s.path,
      name: s.name,
      value: s.value,
      unit: s.unit,
      at: at(n),
    });
  }
  for (const n of named.letters) {
    const l = letters[n - 1]!;
    // As JSON, the outbox's `jsonb` holds it: dates as text, no undefined keys; the letter's own
    // `type` wins over the event's, as in `jsonb ||`.
    add(l.subject, JSON.parse(JSON.stringify({ type: l.type, ...l.data })) as Record<string, unknown>);
  }
  return events;
}

/** A signal as the store function reads it (`at` with milliseconds, as its event carries it). */
function toStoreInput(s: ParsedSignal): Record<string, unknown> {
  if (s.kind === 'state') return stateReportInput(s);
  const common = { k: s.kind, path: s.path, at: s.at.toISOString(), source: s.source, sequence: s.sequence };
  switch (s.kind) {
    case 'count':
    case 'cycle':
      return { ...common, good: s.good, scrap: s.scrap, rework: s.rework, cycleTimeMs: s.cycleTimeMs };
    case 'value':
      return { ...common, name: s.name, value: s.value, unit: s.unit };
  }
}

interface Letter {
  i: number | undefined;
  subject: string;
  type: string;
  data: Record<string, unknown>;
}

function toLetter(e: DomainEvent & { i?: number }): Letter {
  return { i: e.i, subject: e.subject, type: e.type, data: typeof e.data === 'function' ? e.data() : e.data };
}
