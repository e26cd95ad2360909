import { EquipmentState } from '@plantgraph/schema';
import { SIGNAL_KINDS, signalKindEnumValue, type SignalKind } from '@plantgraph/node-red-contrib-plantgraph';
import { type DomainFailure, invalidInput } from '../../core/failures.js';
import type { EquipmentSignalInput } from './signals.types.js';

/** `State` → `state`, as the API's SignalKind enum maps them. */
const KINDS = new Map<unknown, SignalKind>(SIGNAL_KINDS.map((k) => [signalKindEnumValue(k), k]));
const STATES = new Set<unknown>(Object.values(EquipmentState));
const TEXT = ['reason', 'name', 'unit'] as const;
const WHOLE = ['good', 'scrap', 'rework'] as const;
const NUMBERS = ['cycleTimeMs', 'value'] as const;
const INT_MAX = 2 ** 31 - 1;

/**
 * Signals a connector in the hub's process hands over as plain data (`publishSignals`' input, `at`
 * as ISO-8601 text), checked for the types the API's `EquipmentSignalInput` declares: what GraphQL
 * checks before `publishSignals` runs. Then `SignalService.publish` applies the same rule as for
 * the API. A value of the wrong type is refused as `signals[i].<field>`, so the sender can drop that
 * signal and send the rest (through the API the whole call fails with a variable error).
 */
export function signalInputsOf(values: readonly unknown[]): EquipmentSignalInput[] | DomainFailure {
  const inputs: EquipmentSignalInput[] = [];
  for (const [i, value] of values.entries()) {
    const input = signalInputOf(value);
    if (Array.isArray(input)) return invalidInput(`signals[${i}]${input[0] ? `.${input[0]}` : ''}`, input[1]);
    inputs.push(input);
  }
  return inputs;
}

/** The input, or the field at fault ('' for the whole signal) and what is wrong with it. */
function signalInputOf(value: unknown): EquipmentSignalInput | [string, string] {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return ['', 'must be an object (EquipmentSignalInput).'];
  const v = value as Record<string, unknown>;
  const kind = KINDS.get(v.kind);
  if (!kind) return ['kind', `must be one of ${[...KINDS.keys()].join(', ')} (got ${JSON.stringify(v.kind)}).`];
  if (typeof v.path !== 'string') return ['path', 'must be text.'];
  if (typeof v.source !== 'string') return ['source', 'must be text.'];
  if (typeof v.sequence !== 'number' || !Number.isFinite(v.sequence))
    return ['sequence', `must be a number (got ${JSON.stringify(v.sequence)}).`];
  let at: Date | null = null;
  if (v.at instanceof Date) at = v.at;
  else if (typeof v.at === 'string') at = new Date(v.at);
  if ((v.at != null && !at) || (at && Number.isNaN(at.getTime())))
    return ['at', `must be an ISO-8601 time (got ${JSON.stringify(v.at)}).`];
  if (v.state != null && !STATES.has(v.state))
    return ['state', `must be one of ${[...STATES].join(', ')} (got ${JSON.stringify(v.state)}).`];
  for (const f of TEXT)
    if (v[f] != null && typeof v[f] !== 'string') return [f, `must be text (got ${JSON.stringify(v[f])}).`];
  for (const f of WHOLE)
    if (v[f] != null && !(Number.isInteger(v[f]) && Math.abs(v[f] as number) <= INT_MAX))
      return [f, `must be a whole number (got ${JSON.stringify(v[f])}).`];
  for (const f of NUMBERS)
    if (v[f] != null && !(typeof v[f] === 'number' && Number.isFinite(v[f])))
      return [f, `must be a number (got ${JSON.stringify(v[f])}).`];
  return {
    kind,
    path: v.path,
    source: v.source,
    sequence: v.sequence,
    at,
    state: (v.state as EquipmentState | null) ?? null,
    reason: (v.reason as string | null) ?? null,
    good: (v.good as number | null) ?? null,
    scrap: (v.scrap as number | null) ?? null,
    rework: (v.rework as number | null) ?? null,
    cycleTimeMs: (v.cycleTimeMs as number | null) ?? null,
    name: (v.name as string | null) ?? null,
    value: (v.value as number | null) ?? null,
    unit: (v.unit as string | null) ?? null,
  };
}
