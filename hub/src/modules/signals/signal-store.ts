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
  events: { seq: number | string; eventId: string; subject: string; data: Record<string, unknown> }[];
  stored: number;
  duplicates: number;
  unknown: number[];
  equipmentIds: string[];
}

/** Calls of the store per batch at most: equipment may come and go between a call and the next. */
const STORE_CALLS = 3;

/**
 * Stores one batch of signals and its events in one call of `plantgraph_store_signals` (ADR 0062):
 * one statement, so one round trip and its own transaction, which numbers the events in the outbox
 * last and commits at once. What it does, and the one rule by which states are judged, is in the
 * function (migration 20261203150000). A signal for equipment that does not exist gets a dead letter
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
  const input = JSON.stringify(signals.map(toStoreInput));
  const prefixes = JSON.stringify({
    state: subjects.equipmentStateChanged(''),
    count: subjects.productionCounted(''),
    value: subjects.processValueReported(''),
  });
  const letters: (DomainEvent & { i?: number })[] = [...deadLetters.leading];
  const lettered = new Set<string>();
  for (let call = 1; ; call++) {
    const [row] = await executeBound<{ answer: StoreAnswer }>(
      em,
      'select plantgraph_store_signals($1::jsonb, $2::jsonb, $3::jsonb) as answer',
      [input, JSON.stringify(letters.map(toLetter)), prefixes],
    );
    const answer = typeof row!.answer === 'string' ? (JSON.parse(row!.answer) as StoreAnswer) : row!.answer;
    if (!answer.unknownPaths) return toStoredBatch(answer, signals);
    if (call === STORE_CALLS)
      throw new Error(`equipment ${answer.unknownPaths.join(', ')} kept changing while the batch was stored.`);
    for (const path of answer.unknownPaths) lettered.add(path);
    letters.length = deadLetters.leading.length;
    signals.forEach((s, index) => {
      if (lettered.has(s.path)) letters.push({ ...deadLetters.unknown(s), i: index + 1 });
    });
  }
}

function toStoredBatch(answer: StoreAnswer, signals: ParsedSignal[]): StoredBatch {
  return {
    numbered: answer.events.map((e) => ({ seq: Number(e.seq), eventId: e.eventId, subject: e.subject, data: e.data })),
    unknown: answer.unknown.map((i) => signals[i]!),
    equipmentIds: answer.equipmentIds,
    stored: answer.stored,
    duplicates: answer.duplicates,
  };
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

function toLetter(e: DomainEvent & { i?: number }): Record<string, unknown> {
  return { i: e.i, subject: e.subject, type: e.type, data: typeof e.data === 'function' ? e.data() : e.data };
}
