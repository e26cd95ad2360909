import { EquipmentState } from '@plantgraph/schema';
import type { SignalDelivery } from '../../infrastructure/bus/message-bus.js';
import type { EquipmentCountSignal, EquipmentStateSignal, Subjects } from '../../subjects.js';
import { stateReportProblem } from '../equipment/equipment-state.js';

const MAX_CLOCK_AHEAD_MS = 5 * 60_000;
const STATES = new Set<string>(Object.values(EquipmentState));

interface Common { delivery: SignalDelivery; path: string; source: string; sequence: number }
export type ParsedSignal =
  | (Common & { kind: 'state'; report: { state: EquipmentState; reason: string | null; at: Date } })
  | (Common & { kind: 'count'; count: { good: number; scrap: number; rework: number; at: Date } });

/** The signal, or why it cannot be accepted (the reason goes to the dead-letter subject). */
export function parseSignal(subjects: Subjects, d: SignalDelivery): ParsedSignal | string {
  const kind = d.subject.startsWith(subjects.equipmentStateSignalPrefix) ? 'state' : d.subject.startsWith(subjects.equipmentCountSignalPrefix) ? 'count' : null;
  if (!kind) return `unknown signal subject; publish on ${subjects.equipmentStateSignalPrefix}<path tokens> or ${subjects.equipmentCountSignalPrefix}<path tokens>.`;
  const prefix = kind === 'state' ? subjects.equipmentStateSignalPrefix : subjects.equipmentCountSignalPrefix;
  const path = d.subject.slice(prefix.length).split('.').join('/');
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(Buffer.from(d.payload).toString('utf8')) as Record<string, unknown>;
  } catch {
    return `the payload is not JSON; send e.g. ${kind === 'state' ? '{"state":"Running","source":"plc-7","sequence":42}' : '{"good":12,"scrap":1,"source":"plc-7","sequence":43}'}.`;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the payload must be a JSON object.';
  if (typeof body.source !== 'string' || !body.source || body.source.length > 128) return 'source must be a non-empty string of at most 128 characters naming the sender.';
  if (!Number.isSafeInteger(body.sequence) || (body.sequence as number) < 0) return `sequence must be a non-negative integer (got ${JSON.stringify(body.sequence)}).`;
  const at = body.at === undefined ? new Date() : new Date(body.at as string);
  if (body.at !== undefined && (typeof body.at !== 'string' || Number.isNaN(at.getTime()))) return `at must be an ISO-8601 time (got ${JSON.stringify(body.at)}).`;
  if (at.getTime() > Date.now() + MAX_CLOCK_AHEAD_MS) return `at (${body.at as string}) is more than 5 minutes in the future; check the sender's clock.`;
  const common = { delivery: d, path, source: body.source, sequence: body.sequence as number };

  if (kind === 'state') {
    const signal = body as Partial<EquipmentStateSignal>;
    if (typeof signal.state !== 'string' || !STATES.has(signal.state)) return `state must be one of ${[...STATES].join(', ')} (got ${JSON.stringify(signal.state)}).`;
    if (signal.reason != null && typeof signal.reason !== 'string') return 'reason must be a string.';
    const problem = stateReportProblem(signal.state as EquipmentState, signal.reason);
    if (problem) return problem;
    return { ...common, kind, report: { state: signal.state as EquipmentState, reason: signal.reason ?? null, at } };
  }
  const signal = body as Partial<EquipmentCountSignal>;
  const counts = { good: signal.good ?? 0, scrap: signal.scrap ?? 0, rework: signal.rework ?? 0 };
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 0 || value > 1_000_000) return `${name} must be a whole number from 0 to 1,000,000 (got ${JSON.stringify(value)}).`;
  }
  if (counts.good + counts.scrap + counts.rework === 0) return 'a count signal must count at least one part.';
  return { ...common, kind, count: { ...counts, at } };
}
