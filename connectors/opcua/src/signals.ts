// From a monitored item's data change to the hub's equipment signal: the value mapped to its kind, the
// source timestamp kept, and a (source, sequence) pair that names the change itself, so a value the
// server delivers again (after a reconnect, a restart of the hub) is dropped by the hub's ingest.

import { createHash } from 'node:crypto';
import { type MappedItem, meaning, type StateMeaning } from './mapping.js';

/** The hub's EquipmentSignalInput, as this connector sends it. */
export interface EquipmentSignal {
  kind: 'State' | 'Count' | 'Cycle' | 'Value';
  path: string;
  source: string;
  sequence: number;
  at: string;
  state?: string;
  reason?: string | null;
  good?: number;
  scrap?: number;
  cycleTimeMs?: number;
  name?: string;
  value?: number;
  unit?: string | null;
}

/** A data change as the stream hands it over (node-opcua's DataValue, reduced). */
export interface Change {
  value: unknown;
  /** Good (severity bits 00) or not. */
  good: boolean;
  /** The source timestamp (else the server's, else now), in ms since the epoch. */
  ms: number;
  /** Sub-millisecond part from the timestamp's picoseconds, in µs (0-999). */
  micros: number;
}

/** Largest count one signal takes (the hub's bound): a larger delta is taken as a misread counter. */
const MAX_PARTS = 1_000_000;

/** The hub's source names are at most 128 characters: long node ids are hashed. */
export function sourceOf(instance: string, nodeId: string): string {
  const name = `opcua:${instance}:${nodeId}`;
  if (name.length <= 128) return name;
  return `opcua:${instance}:#${createHash('sha256').update(nodeId).digest('hex').slice(0, 32)}`;
}

/** What one item remembers between changes; the counter's part is saved so a restart resumes. */
export interface ItemMemory {
  /** The last sequence sent for this source. */
  sequence: number;
  /** The last raw value (a cumulative counter's total). */
  last: unknown;
}

export type Outcome = { signal: EquipmentSignal } | { skip: string | null };

/**
 * Maps one item's changes to signals. The sequence is the source timestamp in µs: a change the server
 * sends again has the same timestamp, hence the same (source, sequence), and the hub drops it. Two
 * changes in one µs get the next free number (a per-item counter on top of the timestamp).
 */
export class ItemSignals {
  readonly source: string;
  memory: ItemMemory | null;
  /** Enumeration name by value, for states mapped by name (read from the server at open). */
  enumNames: Map<number, string> | null = null;
  /** Set when the subscription is (re)made: the next value is the node's current one, maybe known. */
  #initial = true;

  constructor(
    readonly item: MappedItem,
    instance: string,
    memory: ItemMemory | null,
  ) {
    this.source = sourceOf(instance, item.nodeId);
    this.memory = memory;
  }

  /** The connection was lost: the server sends every item's current value again once it is back. */
  resubscribed(): void {
    this.#initial = true;
  }

  map(change: Change): Outcome {
    if (!change.good) return { skip: null };
    const timestampUs = change.ms * 1000 + change.micros;
    const previous = this.memory;
    const initial = this.#initial;
    this.#initial = false;
    // A restarted server stamps its current values anew: the same value is no new cycle, part or state.
    if (initial && previous && sameValue(previous.last, change.value)) return { skip: null };
    // Delivered again (a reconnect, a republish): the hub has it.
    if (previous && timestampUs <= previous.sequence && sameValue(previous.last, change.value)) return { skip: null };
    const sequence = previous && timestampUs <= previous.sequence ? previous.sequence + 1 : timestampUs;
    const base = { path: this.item.path, source: this.source, sequence, at: new Date(change.ms).toISOString() };
    const result = this.#signal(change.value, base, previous);
    // Remembered whether or not it made a signal: a cumulative counter's total is the next baseline.
    this.memory = { sequence, last: change.value };
    return result;
  }

  #signal(value: unknown, base: Omit<EquipmentSignal, 'kind'>, previous: ItemMemory | null): Outcome {
    const item = this.item;
    switch (item.role) {
      case 'state': {
        const m = this.#meaning(value);
        if (!m) return { skip: `${item.nodeId}: value ${JSON.stringify(value)} is not in the code table` };
        return { signal: { ...base, kind: 'State', state: m.state, reason: m.reason ?? null } };
      }
      case 'good':
      case 'scrap': {
        const n = toNumber(value);
        if (n === null || !Number.isInteger(n) || n < 0)
          return { skip: `${item.nodeId}: ${JSON.stringify(value)} is not a count of parts` };
        let parts = n;
        if (item.counter === 'cumulative') {
          const before = previous ? toNumber(previous.last) : null;
          if (before === null) return { skip: null }; // the first total seen: the baseline
          parts = n >= before ? n - before : n; // a drop: the counter was reset to 0 and counted on
        }
        if (parts === 0) return { skip: null };
        if (parts > MAX_PARTS)
          return { skip: `${item.nodeId}: ${parts} parts in one change is more than a counter can mean` };
        return { signal: { ...base, kind: 'Count', [item.role]: parts } };
      }
      case 'cycle': {
        const n = toNumber(value);
        if (n === null || n <= 0) return { skip: null }; // no cycle time yet
        const cycleTimeMs = item.cycleUnit === 's' ? n * 1000 : n;
        return { signal: { ...base, kind: 'Cycle', cycleTimeMs, good: item.cycleParts ?? 0 } };
      }
      case 'value': {
        const n = toNumber(value);
        if (n === null || !Number.isFinite(n))
          return { skip: `${item.nodeId}: ${JSON.stringify(value)} is not a number` };
        const v = item.value!;
        return { signal: { ...base, kind: 'Value', name: v.name, value: n, unit: v.unit ?? null } };
      }
    }
  }

  #meaning(value: unknown): StateMeaning | null {
    const s = this.item.state!;
    let key = typeof value === 'boolean' ? String(value) : typeof value === 'bigint' ? value.toString() : String(value);
    if (s.enumeration) key = this.enumNames?.get(Number(value)) ?? key;
    const m = s.codes[key] ?? s.otherwise;
    return m ? meaning(m) : null;
  }
}

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  // node-opcua's (U)Int64: [high, low].
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return v[0]! * 2 ** 32 + v[1]!;
  return null;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return (
    JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ===
    JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
  );
}
