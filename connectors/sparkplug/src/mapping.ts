// The mapping document an automation engineer writes per installation: which Sparkplug device (or
// United Manufacturing Hub location) is which equipment, and which of its metrics is which signal.
// Checked when the instance is saved, with an error per mistake that names where it is.

export type RunState = 'Running' | 'Idle' | 'Down' | 'Maintenance' | 'Offline';
export const RUN_STATES: readonly RunState[] = ['Running', 'Idle', 'Down', 'Maintenance', 'Offline'];

export interface StateCode {
  state: RunState;
  /** Required for Down. */
  reason?: string;
}

export type MetricMapping =
  /** `codes`: metric value (as text) -> state; without it the value is the state's name. */
  | { signal: 'state'; codes?: Record<string, StateCode>; downReason: string }
  /** `cumulative`: a total the machine keeps (the delta is sent); `delta`: parts since the last update. */
  | { signal: 'good' | 'scrap'; counter: 'cumulative' | 'delta' }
  /** Each update is one completed cycle, its value the cycle time in `unit`. */
  | { signal: 'cycle'; unit: 'ms' | 's'; countsPart: boolean }
  /** A process value, sent when it moved by more than `deadband` since the last one sent. */
  | { signal: 'value'; name: string; unit?: string; deadband: number };

export interface EquipmentMapping {
  equipment: string;
  /** By metric name (Sparkplug) or `<data contract>[.<virtual path>].<tag>` (UMH). */
  metrics: Record<string, MetricMapping>;
}

export interface SparkplugMapping {
  /** By `<group>/<edge node>` (the node's own metrics) or `<group>/<edge node>/<device>`. */
  devices: Record<string, EquipmentMapping>;
  /** By UMH location path, dotted (`enterprise.site.area.line.cell`). */
  umh: Record<string, EquipmentMapping>;
}

export interface MappingIssue {
  path: string;
  message: string;
}

export type MappingValidation = { ok: true; mapping: SparkplugMapping } | { ok: false; issues: MappingIssue[] };

const EQUIPMENT_PATH = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;
/** Sparkplug ids (group, edge node, device) may not hold MQTT's separators or wildcards. */
const SPARKPLUG_ID = /^[^/+#]+$/;
const UMH_LOCATION = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const UMH_TAG = /^_[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;
const VALUE_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const SIGNALS = ['state', 'good', 'scrap', 'cycle', 'value'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const key = (k: string) => `[${JSON.stringify(k)}]`;

/** Checks the document and fills the defaults; every issue names the place to fix. */
export function validateMapping(document: unknown): MappingValidation {
  const issues: MappingIssue[] = [];
  const fail = (path: string, message: string) => issues.push({ path, message });
  if (!isObject(document)) {
    fail('', 'must be an object with "devices" (and optionally "umh"); see the connector README');
    return { ok: false, issues };
  }
  for (const k of Object.keys(document))
    if (k !== 'devices' && k !== 'umh') fail(k, 'is not part of the mapping (devices, umh)');
  const mapping: SparkplugMapping = { devices: {}, umh: {} };
  for (const section of ['devices', 'umh'] as const) {
    const entries = document[section] ?? {};
    if (!isObject(entries)) {
      fail(section, 'must be an object keyed by device (or UMH location)');
      continue;
    }
    for (const [id, entry] of Object.entries(entries)) {
      const at = `${section}${key(id)}`;
      const problem = section === 'devices' ? deviceIdProblem(id) : umhLocationProblem(id);
      if (problem) fail(at, problem);
      const equipment = equipmentMapping(entry, at, section === 'umh', fail);
      if (equipment) mapping[section][id] = equipment;
    }
  }
  if (!Object.keys(mapping.devices).length && !Object.keys(mapping.umh).length && !issues.length)
    fail('devices', 'maps no device: add at least one "<group>/<edge node>[/<device>]"');
  return issues.length ? { ok: false, issues } : { ok: true, mapping };
}

function deviceIdProblem(id: string): string | null {
  const parts = id.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !SPARKPLUG_ID.test(p)))
    return 'must be "<group>/<edge node>" or "<group>/<edge node>/<device>" (ids without "/", "+" or "#")';
  if (parts[0] === 'STATE') return 'cannot use the group id "STATE": Sparkplug reserves it for host applications';
  return null;
}

function umhLocationProblem(id: string): string | null {
  return UMH_LOCATION.test(id)
    ? null
    : 'must be a UMH location path with dots, e.g. "acme.berlin.assembly.line-1.press-1"';
}

function equipmentMapping(
  entry: unknown,
  at: string,
  umh: boolean,
  fail: (path: string, message: string) => void,
): EquipmentMapping | null {
  if (!isObject(entry)) {
    fail(at, 'must be an object with "equipment" and "metrics"');
    return null;
  }
  for (const k of Object.keys(entry))
    if (k !== 'equipment' && k !== 'metrics') fail(`${at}.${k}`, 'is not known here (equipment, metrics)');
  const equipment = entry.equipment;
  if (typeof equipment !== 'string' || !EQUIPMENT_PATH.test(equipment))
    fail(`${at}.equipment`, 'must be an equipment path such as "acme/berlin/assembly/line-1/press-1"');
  if (!isObject(entry.metrics) || !Object.keys(entry.metrics).length) {
    fail(`${at}.metrics`, 'must map at least one metric name to a signal');
    return null;
  }
  const metrics: Record<string, MetricMapping> = {};
  for (const [name, m] of Object.entries(entry.metrics)) {
    const where = `${at}.metrics${key(name)}`;
    if (umh && !UMH_TAG.test(name))
      fail(
        where,
        'must be "<data contract>[.<virtual path>].<tag>", the contract starting with "_" (e.g. "_historian.good")',
      );
    const mapped = metricMapping(m, name, where, fail);
    if (mapped) metrics[name] = mapped;
  }
  return typeof equipment === 'string' ? { equipment, metrics } : null;
}

function metricMapping(
  m: unknown,
  metric: string,
  at: string,
  fail: (path: string, message: string) => void,
): MetricMapping | null {
  if (!isObject(m) || !SIGNALS.includes(m.signal as string)) {
    fail(`${at}.signal`, `must be one of ${SIGNALS.join(', ')}`);
    return null;
  }
  const allowed: Record<string, string[]> = {
    state: ['codes', 'downReason'],
    good: ['counter'],
    scrap: ['counter'],
    cycle: ['unit', 'countsPart'],
    value: ['name', 'unit', 'deadband'],
  };
  const fields = allowed[m.signal as string]!;
  for (const k of Object.keys(m))
    if (k !== 'signal' && !fields.includes(k))
      fail(`${at}.${k}`, `does not apply to a ${m.signal as string} signal (${fields.join(', ')})`);
  switch (m.signal) {
    case 'state':
      return stateMapping(m, at, fail);
    case 'good':
    case 'scrap': {
      const counter = m.counter ?? 'cumulative';
      if (counter !== 'cumulative' && counter !== 'delta')
        fail(
          `${at}.counter`,
          'must be "cumulative" (a total the machine keeps) or "delta" (parts since the last update)',
        );
      return { signal: m.signal, counter: counter as 'cumulative' | 'delta' };
    }
    case 'cycle': {
      const unit = m.unit ?? 'ms';
      if (unit !== 'ms' && unit !== 's') fail(`${at}.unit`, 'must be "ms" or "s" (the unit of the cycle time)');
      if (m.countsPart !== undefined && typeof m.countsPart !== 'boolean')
        fail(`${at}.countsPart`, 'must be true (each cycle is one good part) or false');
      return { signal: 'cycle', unit: unit as 'ms' | 's', countsPart: m.countsPart === true };
    }
    default: {
      const name = m.name ?? metric;
      if (typeof name !== 'string' || !VALUE_NAME.test(name)) {
        const hint = m.name === undefined ? ' (the metric name is not: give "name")' : '';
        fail(`${at}.name`, `must be 1-128 letters, digits, "_", ".", ":" or "-"${hint}`);
      }
      if (m.unit !== undefined && (typeof m.unit !== 'string' || !m.unit || m.unit.length > 32))
        fail(`${at}.unit`, 'must be a unit of at most 32 characters, e.g. "degC"');
      const deadband = m.deadband ?? 0;
      if (typeof deadband !== 'number' || !(deadband >= 0))
        fail(`${at}.deadband`, 'must be a number of at least 0 (in the unit of the value)');
      return {
        signal: 'value',
        name: name as string,
        unit: m.unit as string | undefined,
        deadband: deadband as number,
      };
    }
  }
}

function stateMapping(
  m: Record<string, unknown>,
  at: string,
  fail: (path: string, message: string) => void,
): MetricMapping {
  const downReason = m.downReason ?? 'unspecified';
  if (typeof downReason !== 'string' || !downReason.trim())
    fail(`${at}.downReason`, 'must be a reason code, used when the value "Down" comes without one');
  if (m.codes === undefined) return { signal: 'state', downReason: downReason as string };
  if (!isObject(m.codes) || !Object.keys(m.codes).length) {
    fail(`${at}.codes`, 'must map each value of the metric (as text, e.g. "3") to a state');
    return { signal: 'state', downReason: downReason as string };
  }
  const codes: Record<string, StateCode> = {};
  for (const [value, code] of Object.entries(m.codes)) {
    const where = `${at}.codes${key(value)}`;
    const c = typeof code === 'string' ? { state: code } : code;
    if (!isObject(c) || !RUN_STATES.includes(c.state as RunState)) {
      fail(where, `must be a state (${RUN_STATES.join(', ')}) or {"state": "Down", "reason": "<code>"}`);
      continue;
    }
    if (c.reason !== undefined && (typeof c.reason !== 'string' || !c.reason.trim()))
      fail(`${where}.reason`, 'must be a non-empty reason code');
    if (c.state === 'Down' && c.reason === undefined)
      fail(where, 'Down needs a reason: {"state": "Down", "reason": "<code>"}');
    codes[value] = { state: c.state as RunState, reason: c.reason as string | undefined };
  }
  return { signal: 'state', codes, downReason: downReason as string };
}

/** The groups to subscribe: those of the mapped devices. */
export function groupsOf(mapping: SparkplugMapping): string[] {
  return [...new Set(Object.keys(mapping.devices).map((id) => id.split('/')[0]!))].sort();
}
