// The mapping document of an OPC UA connector instance: per equipment path, which node ids feed which
// signal kinds, checked when the instance is saved with messages that name what to fix.

/** The run states a machine reports (the hub's EquipmentState, without Offline: the hub sets it). */
export const RUN_STATES = ['Running', 'Idle', 'Down', 'Maintenance'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** What a state code means: a run state, and for Down the reason code the hub requires. */
export interface StateMeaning {
  state: RunState;
  reason?: string;
}

export interface MonitoredNode {
  /** e.g. `ns=2;s=Press1.State` or `i=2258`. */
  nodeId: string;
  /** How often the server samples the node, in ms (default: the instance's `samplingIntervalMs`). */
  samplingIntervalMs?: number;
}

export interface StateMapping extends MonitoredNode {
  /**
   * Code table: the node's value (a number or a text, as a key) → its meaning. With `enumeration`
   * the keys are the names of the node's OPC UA enumeration (EnumStrings or EnumValues).
   */
  codes: Record<string, RunState | StateMeaning>;
  enumeration?: boolean;
  /** What a value missing from the table means; absent: such a value is skipped with a warning. */
  otherwise?: RunState | StateMeaning;
}

export interface CounterMapping extends MonitoredNode {
  /** `cumulative`: a running total (deltas are sent; a drop is a reset to 0); `delta`: parts per change. */
  counter: 'cumulative' | 'delta';
}

export interface CycleMapping extends MonitoredNode {
  /** The node holds the last cycle's time, in ms or s; each change is one completed cycle. */
  unit: 'ms' | 's';
  /**
   * Good parts each cycle makes. Default: 1 when the equipment has no `good` counter mapped, else 0
   * (the counter counts the parts; the cycle then only times them).
   */
  partsPerCycle?: number;
}

export interface ValueMapping extends MonitoredNode {
  /** The process value's name in the hub, e.g. `temperature`. */
  name: string;
  unit?: string;
  /** A change smaller than this is not reported (an OPC UA DataChangeFilter on the server). */
  deadband?: { type: 'absolute' | 'percent'; value: number };
}

export interface EquipmentMapping {
  path: string;
  state?: StateMapping;
  good?: CounterMapping;
  scrap?: CounterMapping;
  cycle?: CycleMapping;
  values?: ValueMapping[];
}

export interface OpcUaMapping {
  equipment: EquipmentMapping[];
}

export type ItemRole = 'state' | 'good' | 'scrap' | 'cycle' | 'value';

/** One monitored item as the stream subscribes to it, with where its values go. */
export interface MappedItem {
  role: ItemRole;
  path: string;
  nodeId: string;
  samplingIntervalMs: number;
  state?: StateMapping;
  counter?: CounterMapping['counter'];
  cycleUnit?: CycleMapping['unit'];
  cycleParts?: number;
  value?: ValueMapping;
}

export interface MappingIssue {
  path: string;
  message: string;
}

const PATH = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/i;
const NODE_ID = /^(ns=\d+;)?(i=\d+|s=.+|g=[0-9a-f-]{36}|b=[A-Za-z0-9+/=]+)$|^nsu=[^;]+;(i|s|g|b)=.+$/i;
const VALUE_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const REASON = /^\S.{0,63}$/;

/** Checks a mapping document; every problem is named by its place in the document. */
export function validateMapping(doc: unknown): MappingIssue[] {
  const issues: MappingIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    add('', 'must be an object such as {"equipment": [{"path": "acme/berlin/line-1/press-1", "state": {…}}]}');
    return issues;
  }
  const equipment = (doc as { equipment?: unknown }).equipment;
  if (!Array.isArray(equipment)) {
    add('equipment', 'must be a list of equipment mappings (may be empty while you browse)');
    return issues;
  }
  const seen = new Map<string, string>();
  equipment.forEach((e, i) => {
    checkEquipment(e, `equipment[${i}]`, add, seen);
  });
  return issues;
}

type Add = (path: string, message: string) => void;

function checkEquipment(e: unknown, at: string, add: Add, seen: Map<string, string>) {
  if (!isObject(e))
    return add(at, 'must be an object with a path and at least one of state, good, scrap, cycle, values');
  const known = ['path', 'state', 'good', 'scrap', 'cycle', 'values'];
  for (const k of Object.keys(e)) if (!known.includes(k)) add(`${at}.${k}`, `is not a field (${known.join(', ')})`);
  if (typeof e.path !== 'string' || !PATH.test(e.path))
    add(`${at}.path`, 'must be an equipment path such as acme/berlin/assembly/line-1/press-1');
  if (!['state', 'good', 'scrap', 'cycle', 'values'].some((k) => e[k] !== undefined))
    add(at, 'maps nothing: give at least one of state, good, scrap, cycle, values');
  const node = (n: unknown, where: string, fields: string[]): n is Record<string, unknown> => {
    if (!isObject(n)) {
      add(where, 'must be an object with a nodeId');
      return false;
    }
    for (const k of Object.keys(n))
      if (![...fields, 'nodeId', 'samplingIntervalMs'].includes(k))
        add(`${where}.${k}`, `is not a field (${['nodeId', 'samplingIntervalMs', ...fields].join(', ')})`);
    if (typeof n.nodeId !== 'string' || !NODE_ID.test(n.nodeId))
      add(`${where}.nodeId`, 'must be an OPC UA node id such as ns=2;s=Press1.State or ns=3;i=1001');
    else if (seen.has(n.nodeId)) add(`${where}.nodeId`, `${n.nodeId} is mapped already at ${seen.get(n.nodeId)}`);
    else seen.set(n.nodeId, where);
    const sampling = n.samplingIntervalMs;
    if (sampling !== undefined && (typeof sampling !== 'number' || sampling < 0 || sampling > 3_600_000))
      add(`${where}.samplingIntervalMs`, 'must be a number of ms from 0 (as fast as the server can) to 3600000');
    return true;
  };
  if (e.state !== undefined && node(e.state, `${at}.state`, ['codes', 'enumeration', 'otherwise'])) {
    const s = e.state;
    if (!isObject(s.codes) || !Object.keys(s.codes).length)
      add(
        `${at}.state.codes`,
        'must map each value to a state, e.g. {"1": "Running", "3": {"state": "Down", "reason": "jam"}}',
      );
    else for (const [code, m] of Object.entries(s.codes)) checkMeaning(m, `${at}.state.codes.${code}`, add);
    if (s.enumeration !== undefined && typeof s.enumeration !== 'boolean')
      add(`${at}.state.enumeration`, 'must be true (codes are the enumeration names) or false');
    if (s.otherwise !== undefined) checkMeaning(s.otherwise, `${at}.state.otherwise`, add);
  }
  for (const role of ['good', 'scrap'] as const) {
    if (e[role] !== undefined && node(e[role], `${at}.${role}`, ['counter'])) {
      const c = (e[role] as Record<string, unknown>).counter;
      if (c !== 'cumulative' && c !== 'delta')
        add(`${at}.${role}.counter`, 'must be "cumulative" (a running total) or "delta" (parts per change)');
    }
  }
  if (e.cycle !== undefined && node(e.cycle, `${at}.cycle`, ['unit', 'partsPerCycle'])) {
    const { unit, partsPerCycle: parts } = e.cycle as Record<string, unknown>;
    if (unit !== 'ms' && unit !== 's')
      add(`${at}.cycle.unit`, 'must be "ms" or "s": the unit of the cycle time the node holds');
    if (parts !== undefined && (typeof parts !== 'number' || !Number.isInteger(parts) || parts < 0 || parts > 10_000))
      add(`${at}.cycle.partsPerCycle`, 'must be a whole number of good parts per cycle from 0 to 10000');
  }
  if (e.values !== undefined) {
    if (!Array.isArray(e.values)) add(`${at}.values`, 'must be a list of process values');
    else
      e.values.forEach((v, j) => {
        const where = `${at}.values[${j}]`;
        if (!node(v, where, ['name', 'unit', 'deadband'])) return;
        if (typeof v.name !== 'string' || !VALUE_NAME.test(v.name))
          add(`${where}.name`, 'must be 1-128 letters, digits, "_", ".", ":" or "-", e.g. temperature');
        if (v.unit !== undefined && (typeof v.unit !== 'string' || v.unit.length > 32))
          add(`${where}.unit`, 'must be a unit of at most 32 characters, e.g. degC');
        if (v.deadband !== undefined) checkDeadband(v.deadband, `${where}.deadband`, add);
      });
  }
}

function checkMeaning(m: unknown, at: string, add: Add) {
  const state = typeof m === 'string' ? m : isObject(m) ? m.state : undefined;
  if (typeof state !== 'string' || !(RUN_STATES as readonly string[]).includes(state)) {
    add(at, `must be one of ${RUN_STATES.join(', ')}, or {"state": "Down", "reason": "<code>"}`);
    return;
  }
  const reason = isObject(m) ? m.reason : undefined;
  if (reason !== undefined && (typeof reason !== 'string' || !REASON.test(reason)))
    add(`${at}.reason`, 'must be a reason code of 1-64 characters');
  if (state === 'Down' && reason === undefined)
    add(at, 'Down needs a reason code: {"state": "Down", "reason": "<code>"}');
}

function checkDeadband(d: unknown, at: string, add: Add) {
  if (!isObject(d) || (d.type !== 'absolute' && d.type !== 'percent'))
    return add(`${at}.type`, 'must be "absolute" (in the value\'s unit) or "percent" (of the node\'s EURange)');
  if (typeof d.value !== 'number' || d.value < 0 || (d.type === 'percent' && d.value > 100))
    add(`${at}.value`, d.type === 'percent' ? 'must be a percent from 0 to 100' : 'must be a number ≥ 0');
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The monitored items of a valid mapping, each with its role and the equipment it reports for. */
export function mappedItems(mapping: OpcUaMapping, defaultSamplingMs: number): MappedItem[] {
  const items: MappedItem[] = [];
  const sampling = (n: MonitoredNode) => n.samplingIntervalMs ?? defaultSamplingMs;
  for (const e of mapping.equipment) {
    const base = (role: ItemRole, n: MonitoredNode) => ({
      role,
      path: e.path,
      nodeId: n.nodeId,
      samplingIntervalMs: sampling(n),
    });
    if (e.state) items.push({ ...base('state', e.state), state: e.state });
    if (e.good) items.push({ ...base('good', e.good), counter: e.good.counter });
    if (e.scrap) items.push({ ...base('scrap', e.scrap), counter: e.scrap.counter });
    if (e.cycle)
      items.push({
        ...base('cycle', e.cycle),
        cycleUnit: e.cycle.unit,
        cycleParts: e.cycle.partsPerCycle ?? (e.good ? 0 : 1),
      });
    for (const v of e.values ?? []) items.push({ ...base('value', v), value: v });
  }
  return items;
}

/** A code's meaning as the hub takes it. */
export function meaning(m: RunState | StateMeaning): StateMeaning {
  return typeof m === 'string' ? { state: m } : m;
}
