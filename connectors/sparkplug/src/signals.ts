// Metric values to equipment signals, by the mapping. Each mapped metric is its own signal source,
// and its sequence comes from the value's own timestamp (ADR "Sparkplug signals: sources, sequences
// and re-sent values"): a value sent again (a retried publishSignals) keeps its key and the hub's
// (source, sequence) de-duplication drops it; a value a rebirth or a reconnect repeats is not an
// event at all here (a counter's total that did not move, a state that did not change).

import { createHash } from 'node:crypto';
import type { MetricValue } from './codec.js';
import { RUN_STATES, type EquipmentMapping, type MetricMapping, type RunState } from './mapping.js';

/** One signal for the hub's publishSignals (EquipmentSignalInput). */
export interface SignalInput {
  kind: 'State' | 'Count' | 'Cycle' | 'Value';
  path: string;
  source: string;
  sequence: number;
  at: string;
  state?: RunState;
  reason?: string;
  good?: number;
  scrap?: number;
  cycleTimeMs?: number;
  name?: string;
  value?: number;
  unit?: string;
}

/** The hub refuses times more than 5 minutes ahead or 7 days back; such values take the receive time. */
const AHEAD_MS = 4 * 60_000;
const BACK_MS = 6.5 * 86_400_000;
/** At most this many parts per count signal (the hub's limit). */
const MAX_PARTS = 1_000_000;
const MAX_SOURCE = 128;

export interface MapperStats {
  /** Values of state metrics that the code table does not name. */
  unmappedStates: number;
  /** Values of the wrong type (text for a counter …). */
  unusable: number;
  lastProblem: string | null;
}

/** What the mapper remembers per source and per equipment; kept for the runtime's life. */
export class SignalMapper {
  readonly stats: MapperStats = { unmappedStates: 0, unusable: 0, lastProblem: null };
  /** Last sequence per source. */
  readonly #sequence = new Map<string, number>();
  /** A cumulative counter's last total, or a process value's last value sent, per source. */
  readonly #last = new Map<string, number>();
  /** The run state (with reason) last sent per equipment. */
  readonly #state = new Map<string, string>();

  /** `prefix` names the sender, e.g. `spB:<instance>`. */
  constructor(
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * One value of a mapped metric. `birth`: from a BIRTH, a snapshot of the current values: it sets
   * states, values and counters' totals, but a cycle or a delta count in it is no new event.
   */
  map(
    device: string,
    equipment: EquipmentMapping,
    metric: string,
    value: MetricValue,
    timestamp: number | undefined,
    birth: boolean,
    out: SignalInput[],
  ): void {
    const m = equipment.metrics[metric];
    if (!m || value === null) return;
    const source = this.#source(`${device}:${metric}`);
    const path = equipment.equipment;
    const at = this.#at(timestamp);
    const stamp = stampOf(timestamp, at);
    switch (m.signal) {
      case 'state':
        this.#mapState(m, source, path, value, at, stamp, metric, out);
        return;
      case 'good':
      case 'scrap':
        this.#mapCount(m, source, path, value, at, stamp, birth, metric, out);
        return;
      case 'cycle': {
        const time = numeric(value);
        if (birth || time === null || !(time > 0)) return;
        const cycleTimeMs = m.unit === 's' ? time * 1000 : time;
        const good = m.countsPart ? 1 : 0;
        out.push({ kind: 'Cycle', path, source, sequence: this.#next(source, stamp), at: iso(at), cycleTimeMs, good });
        return;
      }
      case 'value': {
        const v = numeric(value);
        if (v === null) {
          this.#unusable(metric, value);
          return;
        }
        const last = this.#last.get(source);
        if (last !== undefined && (Math.abs(v - last) <= m.deadband || v === last)) return;
        this.#last.set(source, v);
        const signal: SignalInput = { kind: 'Value', path, source, sequence: this.#next(source, stamp), at: iso(at) };
        out.push(Object.assign(signal, { name: m.name, value: v }, m.unit ? { unit: m.unit } : {}));
      }
    }
  }

  /** The device (or node) died: its equipment is Offline from `timestamp`. */
  offline(device: string, equipment: EquipmentMapping, timestamp: number | undefined, out: SignalInput[]): void {
    const path = equipment.equipment;
    if (this.#state.get(path) === OFFLINE) return;
    this.#state.set(path, OFFLINE);
    const source = this.#source(`${device}:death`);
    const at = this.#at(timestamp);
    out.push({
      kind: 'State',
      path,
      source,
      sequence: this.#next(source, stampOf(timestamp, at)),
      at: iso(at),
      state: 'Offline',
    });
  }

  #mapState(
    m: Extract<MetricMapping, { signal: 'state' }>,
    source: string,
    path: string,
    value: MetricValue,
    at: number,
    stamp: number,
    metric: string,
    out: SignalInput[],
  ): void {
    const text = String(value);
    const code = m.codes ? m.codes[text] : RUN_STATE_NAMES.has(text) ? { state: text as RunState } : undefined;
    if (!code) {
      this.stats.unmappedStates++;
      this.stats.lastProblem = `state metric ${metric}: value ${JSON.stringify(value)} is not in its code table`;
      return;
    }
    const reason = code.state === 'Down' ? (code.reason ?? m.downReason) : code.reason;
    const key = stateKey(code.state, reason);
    if (this.#state.get(path) === key) return;
    this.#state.set(path, key);
    const signal: SignalInput = { kind: 'State', path, source, sequence: this.#next(source, stamp), at: iso(at) };
    out.push(Object.assign(signal, { state: code.state }, reason ? { reason } : {}));
  }

  #mapCount(
    m: Extract<MetricMapping, { signal: 'good' | 'scrap' }>,
    source: string,
    path: string,
    value: MetricValue,
    at: number,
    stamp: number,
    birth: boolean,
    metric: string,
    out: SignalInput[],
  ): void {
    const v = numeric(value);
    if (v === null || v < 0 || !Number.isFinite(v)) {
      this.#unusable(metric, value);
      return;
    }
    let parts: number;
    if (m.counter === 'delta') {
      if (birth) return;
      parts = Math.round(v);
    } else {
      const total = Math.round(v);
      const last = this.#last.get(source);
      this.#last.set(source, total);
      // The first total seen is where counting starts; a smaller one means the counter was reset.
      if (last === undefined) return;
      parts = total >= last ? total - last : total;
    }
    for (; parts > 0; parts -= MAX_PARTS) {
      const n = Math.min(parts, MAX_PARTS);
      out.push({ kind: 'Count', path, source, sequence: this.#next(source, stamp), at: iso(at), [m.signal]: n });
    }
  }

  #unusable(metric: string, value: MetricValue): void {
    this.stats.unusable++;
    this.stats.lastProblem = `metric ${metric}: ${JSON.stringify(value)} is not a number`;
  }

  /** From the value's own time in ms, strictly increasing per source (two values in one ms: +1). */
  #next(source: string, stamp: number): number {
    const sequence = Math.max(stamp * 1000, (this.#sequence.get(source) ?? -1) + 1);
    this.#sequence.set(source, sequence);
    return sequence;
  }

  #at(timestamp: number | undefined): number {
    const now = this.now();
    return timestamp === undefined || timestamp > now + AHEAD_MS || timestamp < now - BACK_MS ? now : timestamp;
  }

  #source(id: string): string {
    const source = `${this.prefix}:${id}`;
    if (source.length <= MAX_SOURCE) return source;
    return `${this.prefix}:#${createHash('sha256').update(id).digest('base64url').slice(0, 32)}`;
  }
}

const RUN_STATE_NAMES = new Set<string>(RUN_STATES);
const stateKey = (state: RunState, reason: string | undefined) => `${state}\u0000${reason ?? ''}`;
const OFFLINE = stateKey('Offline', undefined);

function numeric(value: MetricValue): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

const iso = (ms: number) => new Date(ms).toISOString();
/**
 * The time a sequence derives from: the sender's own (the same value sent again has the same), as far
 * as it can be one (up to the year 2286, so that ms × 1000 stays a safe integer); else when it came.
 */
const stampOf = (timestamp: number | undefined, at: number) =>
  timestamp !== undefined && timestamp > 0 && timestamp < 1e13 ? Math.floor(timestamp) : at;
