import type { SignalKind } from '../hub-connection.js';
import {
  CumulativeCounter,
  Deadband,
  mapState,
  parseStateMap,
  scale,
  toNumber,
  TopicMapping,
  type MappedState,
} from './signal-mapping.js';

export type CountField = 'good' | 'scrap' | 'rework';
const COUNT_FIELDS: CountField[] = ['good', 'scrap', 'rework'];

export interface EquipmentSignalConfig {
  kind: SignalKind;
  /** Fixed equipment path; empty to take it from the message. */
  path?: string;
  /** Topic → path rules (see TopicMapping) for messages without a path. */
  topicMapping?: string;
  factor?: number;
  offset?: number;
  /** Process values: absolute deadband. */
  deadband?: number;
  /** Process values: the value's name (default: the topic's last level) and unit. */
  valueName?: string;
  unit?: string;
  /** States: value → state map, and the reason for Down when the map and the message have none. */
  stateMap?: string;
  defaultReason?: string;
  /** States: publish only when state or reason changed (PLC tags are often polled). */
  onlyOnChange?: boolean;
  /** Counts: parts since the last message, or the machine's running total. */
  countMode?: 'increment' | 'cumulative';
  /** Counts: which count a plain number is. */
  countField?: CountField;
}

/** What arrived, already taken out of the Node-RED message. */
export interface SignalInput {
  value: unknown;
  topic?: unknown;
  path?: unknown;
  reason?: unknown;
  at?: unknown;
}

/** A signal to publish, without the sender's source and sequence. */
export interface SignalDraft {
  kind: SignalKind;
  path: string;
  fields: Record<string, unknown>;
}
export type MappingResult = { publish: SignalDraft } | { skip: string };

/** Maps raw machine values to equipment signals; keeps the per-path memory (deadband, totals, last state). */
export class EquipmentSignalMapper {
  private readonly mapping: TopicMapping;
  private readonly stateMap: Map<string, MappedState>;
  private readonly deadband: Deadband;
  private readonly counter = new CumulativeCounter();
  private readonly lastState = new Map<string, string>();

  constructor(private readonly config: EquipmentSignalConfig) {
    this.mapping = new TopicMapping(config.topicMapping ?? '');
    this.stateMap = parseStateMap(config.stateMap ?? '');
    this.deadband = new Deadband(config.deadband ?? 0);
  }

  /** The signal for this input, or why nothing is published; throws on input that cannot be mapped. */
  map(input: SignalInput): MappingResult {
    const path = this.pathOf(input);
    const at = timestamp(input.at);
    const draft = (fields: Record<string, unknown>): MappingResult => ({
      publish: { kind: this.config.kind, path, fields: at ? { ...fields, at } : fields },
    });
    switch (this.config.kind) {
      case 'state': {
        const mapped = mapState(input.value, this.stateMap);
        const reason =
          mapped.reason ??
          (typeof input.reason === 'string' && input.reason ? input.reason : undefined) ??
          (this.config.defaultReason || undefined);
        if (mapped.state === 'Down' && !reason)
          throw new Error(
            `Down needs a reason: give it in the state map (e.g. 2=Down:JAM), in msg.reason or as the default reason`,
          );
        const key = `${mapped.state}\u0000${reason ?? ''}`;
        if (this.config.onlyOnChange && this.lastState.get(path) === key) return { skip: 'unchanged' };
        this.lastState.set(path, key);
        return draft(reason ? { state: mapped.state, reason } : { state: mapped.state });
      }
      case 'count':
        return this.count(path, input.value, draft);
      case 'cycle': {
        const obj = isObject(input.value) ? input.value : null;
        const ms = this.scaled(obj ? obj.cycleTimeMs : input.value, 'cycle time');
        if (ms <= 0) throw new Error(`cycle time must be positive (got ${ms} ms)`);
        const fields: Record<string, unknown> = { cycleTimeMs: ms };
        for (const f of ['good', 'scrap'] as const) if (obj && obj[f] !== undefined) fields[f] = wholeCount(obj[f], f);
        return draft(fields);
      }
      case 'value': {
        const value = this.scaled(input.value, 'process value');
        const name = this.config.valueName || lastLevel(input.topic) || 'value';
        if (!this.deadband.admit(`${path}\u0000${name}`, value)) return { skip: 'deadband' };
        return draft(this.config.unit ? { name, value, unit: this.config.unit } : { name, value });
      }
    }
  }

  /**
   * The hub did not take this signal: undo what the mapper remembered of it, so the next value
   * is compared with what the hub really has (deadband, last state) and no counted parts are lost.
   */
  failed(draft: SignalDraft): void {
    const f = draft.fields;
    if (draft.kind === 'value') this.deadband.forget(`${draft.path}\u0000${String(f.name)}`);
    else if (draft.kind === 'state') this.lastState.delete(draft.path);
    else if (draft.kind === 'count' && this.config.countMode === 'cumulative') {
      for (const field of COUNT_FIELDS)
        if (typeof f[field] === 'number') this.counter.carry(`${draft.path}\u0000${field}`, f[field]);
    }
  }

  private count(path: string, raw: unknown, draft: (f: Record<string, unknown>) => MappingResult): MappingResult {
    // A number counts the configured field; an object may carry several ({ good, scrap, rework }).
    const given: [CountField, unknown][] = isObject(raw)
      ? COUNT_FIELDS.filter((f) => raw[f] !== undefined).map((f) => [f, raw[f]])
      : [[this.config.countField ?? 'good', raw]];
    if (given.length === 0) throw new Error('a count needs a number or an object with good, scrap or rework');
    const fields: Record<string, number> = {};
    for (const [field, value] of given) {
      const n = Math.round(this.scaled(value, field));
      if (n < 0) throw new Error(`${field} count must not be negative (got ${n})`);
      const parts = this.config.countMode === 'cumulative' ? this.counter.increment(`${path}\u0000${field}`, n) : n;
      if (parts) fields[field] = parts;
    }
    // The hub refuses a count of no parts: nothing to publish (also the baseline of a cumulative counter).
    if (Object.keys(fields).length === 0)
      return { skip: this.config.countMode === 'cumulative' ? 'no new parts' : 'zero parts' };
    return draft(fields);
  }

  private pathOf(input: SignalInput): string {
    if (this.config.path) return this.config.path;
    if (typeof input.path === 'string' && input.path) return input.path;
    if (typeof input.topic === 'string' && !this.mapping.empty) {
      const path = this.mapping.pathFor(input.topic);
      if (path) return path;
      throw new Error(`no topic mapping rule matches topic "${input.topic}"`);
    }
    throw new Error('no equipment path: set Path in the node, send msg.path, or add a topic mapping for msg.topic');
  }

  private scaled(raw: unknown, what: string): number {
    const n = toNumber(raw);
    if (n === null) throw new Error(`${what} is not a number: ${JSON.stringify(raw)}`);
    return scale(n, this.config.factor ?? 1, this.config.offset ?? 0);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function wholeCount(raw: unknown, field: string): number {
  const n = toNumber(raw);
  if (n === null || !Number.isInteger(n) || n < 0)
    throw new Error(`${field} must be a whole number of parts (got ${JSON.stringify(raw)})`);
  return n;
}

function lastLevel(topic: unknown): string | undefined {
  return typeof topic === 'string' && topic ? topic.split('/').filter(Boolean).pop() : undefined;
}

/** msg.at as ISO-8601: a Date, epoch milliseconds or an ISO string. */
function timestamp(raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const date = raw instanceof Date ? raw : typeof raw === 'number' || typeof raw === 'string' ? new Date(raw) : null;
  if (!date || Number.isNaN(date.getTime())) throw new Error(`msg.at is not a time: ${JSON.stringify(raw)}`);
  return date.toISOString();
}
