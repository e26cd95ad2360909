import { EquipmentState } from '@plantgraph/schema';
import type { SignalDelivery } from '../../infrastructure/bus/message-bus.js';
import type {
  EquipmentCountSignal,
  EquipmentCycleSignal,
  EquipmentStateSignal,
  EquipmentValueSignal,
  Subjects,
} from '../../subjects.js';
import { stateReportProblem } from '../equipment/equipment-state.js';

const MAX_CLOCK_AHEAD_MS = 5 * 60_000;
/**
 * How far before the bus took a signal in its own `at` may lie (ADR 0023): as long as the signal
 * stream keeps signals (ADR 0002), so a gateway's buffer after an outage that long still counts;
 * older times are taken for a wrong clock and refused, not written into long-reported shifts.
 */
export const MAX_SIGNAL_AGE_MS = 7 * 86_400_000;
const STATES = new Set<string>(Object.values(EquipmentState));
const MAX_PARTS = 1_000_000;

interface Common {
  delivery: SignalDelivery;
  path: string;
  source: string;
  sequence: number;
  at: Date;
}
export type ParsedSignal =
  | (Common & { kind: 'state'; state: EquipmentState; reason: string | null })
  | (Common & { kind: 'count' | 'cycle'; good: number; scrap: number; rework: number; cycleTimeMs: number | null })
  | (Common & { kind: 'value'; name: string; value: number; unit: string | null });

const EXAMPLES = {
  state: '{"state":"Running","source":"plc-7","sequence":42}',
  count: '{"good":12,"scrap":1,"source":"plc-7","sequence":43}',
  cycle: '{"cycleTimeMs":5200,"source":"plc-7","sequence":44}',
  value: '{"name":"temperature","value":71.5,"unit":"degC","source":"plc-7","sequence":45}',
};

/** The signal, or why it cannot be accepted (the reason goes to the dead-letter subject). */
export function parseSignal(subjects: Subjects, d: SignalDelivery): ParsedSignal | string {
  const target = subjects.parseSignalSubject(d.subject);
  if (!target)
    return `unknown signal subject; publish on ${Object.values(subjects.signalPrefix)
      .map((p) => `${p}<path tokens>`)
      .join(', ')}.`;
  const { kind, path } = target;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(Buffer.from(d.payload).toString('utf8')) as Record<string, unknown>;
  } catch {
    return `the payload is not JSON; send e.g. ${EXAMPLES[kind]}.`;
  }
  return signalFromBody(kind, path, body, d);
}

/**
 * The signal a payload's JSON object makes, or why it cannot be accepted. The admission checks the
 * objects it is about to publish with it, before they are JSON, so it parses nothing twice.
 */
export function signalFromBody(
  kind: ParsedSignal['kind'],
  path: string,
  body: Record<string, unknown>,
  d: SignalDelivery,
): ParsedSignal | string {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return `the payload must be a JSON object such as ${EXAMPLES[kind]}.`;
  if (typeof body.source !== 'string' || !body.source || body.source.length > 128)
    return 'source must be a non-empty string of at most 128 characters naming the sender.';
  if (!Number.isSafeInteger(body.sequence) || (body.sequence as number) < 0)
    return `sequence must be a non-negative integer (got ${JSON.stringify(body.sequence)}).`;
  // Without its own time a signal happened when the bus took it in, not when the ingest gets to it
  // (after an outage that can be much later).
  const at = body.at === undefined ? d.receivedAt : new Date(body.at as string);
  if (body.at !== undefined && (typeof body.at !== 'string' || Number.isNaN(at.getTime())))
    return `at must be an ISO-8601 time (got ${JSON.stringify(body.at)}).`;
  if (body.at !== undefined && at.getTime() > Date.now() + MAX_CLOCK_AHEAD_MS)
    return `at (${body.at as string}) is more than 5 minutes in the future; check the sender's clock.`;
  if (body.at !== undefined && at.getTime() < d.receivedAt.getTime() - MAX_SIGNAL_AGE_MS)
    return `at (${body.at as string}) is more than 7 days before the signal reached the hub; check the sender's clock (signals older than that are not accepted).`;
  const common = { delivery: d, path, source: body.source, sequence: body.sequence as number, at };

  switch (kind) {
    case 'state': {
      const signal = body as Partial<EquipmentStateSignal>;
      // Calibration used to be a run state; a machine may not set (or lift) that interlock any more.
      if (signal.state === 'CalibrationDue')
        return 'CalibrationDue is no run state: calibration and maintenance are the equipment condition, which records set (recordEquipmentCondition) and signals cannot change; report the run state (Running, Idle, Down, Maintenance, Offline).';
      if (typeof signal.state !== 'string' || !STATES.has(signal.state))
        return `state must be one of ${[...STATES].join(', ')} (got ${JSON.stringify(signal.state)}).`;
      if (signal.reason != null && typeof signal.reason !== 'string') return 'reason must be a string.';
      const problem = stateReportProblem(signal.state as EquipmentState, signal.reason);
      if (problem) return problem;
      return { ...common, kind, state: signal.state as EquipmentState, reason: signal.reason?.trim() || null };
    }
    case 'count':
    case 'cycle': {
      const signal = body as Partial<EquipmentCountSignal & EquipmentCycleSignal>;
      const counts = {
        good: signal.good ?? (kind === 'cycle' ? 1 : 0),
        scrap: signal.scrap ?? 0,
        rework: signal.rework ?? 0,
      };
      for (const [name, value] of Object.entries(counts)) {
        if (!Number.isSafeInteger(value) || value < 0 || value > MAX_PARTS)
          return `${name} must be a whole number from 0 to 1,000,000 (got ${JSON.stringify(value)}).`;
      }
      if (kind === 'count' && counts.good + counts.scrap + counts.rework === 0)
        return 'a count signal must count at least one part.';
      let cycleTimeMs: number | null = null;
      if (kind === 'cycle') {
        if (typeof signal.cycleTimeMs !== 'number' || !(signal.cycleTimeMs > 0) || signal.cycleTimeMs > 86_400_000)
          return `cycleTimeMs must be a number of milliseconds above 0 and at most a day (got ${JSON.stringify(signal.cycleTimeMs)}).`;
        cycleTimeMs = signal.cycleTimeMs;
      }
      return { ...common, kind, ...counts, cycleTimeMs };
    }
    case 'value': {
      const signal = body as Partial<EquipmentValueSignal>;
      if (typeof signal.name !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(signal.name))
        return `name must be 1-128 letters, digits, "_", ".", ":" or "-" naming the measured value (got ${JSON.stringify(signal.name)}).`;
      if (typeof signal.value !== 'number' || !Number.isFinite(signal.value))
        return `value must be a finite number (got ${JSON.stringify(signal.value)}).`;
      if (signal.unit != null && (typeof signal.unit !== 'string' || signal.unit.length > 32))
        return 'unit must be a string of at most 32 characters.';
      return { ...common, kind, name: signal.name, value: signal.value, unit: signal.unit ?? null };
    }
  }
}
