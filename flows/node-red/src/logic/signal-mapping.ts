/** The building blocks of mapping raw machine values to equipment signals. No Node-RED here. */

/** The hub's EquipmentState enum (schema/schema.graphql). */
export const EQUIPMENT_STATES = ['Running', 'Idle', 'Down', 'Maintenance', 'Offline'] as const;
export type EquipmentState = (typeof EQUIPMENT_STATES)[number];
const STATE_SET = new Set<string>(EQUIPMENT_STATES);

export interface MappedState {
  state: EquipmentState;
  reason?: string;
}

/** A raw value as a number: numbers, numeric strings and booleans (true = 1). */
export function toNumber(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw === 'string' && raw.trim() !== '') {
    const n = Number(raw);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

export const scale = (value: number, factor = 1, offset = 0): number => value * factor + offset;

/** `Down:JAM` → { state: Down, reason: JAM }; the state name is checked against the hub's enum. */
function parseStateTarget(text: string, where: string): MappedState {
  const [state, ...reason] = text.trim().split(':');
  if (!STATE_SET.has(state!.trim()))
    throw new Error(`${where}: "${state}" is not an equipment state (use one of ${EQUIPMENT_STATES.join(', ')})`);
  const r = reason.join(':').trim();
  return r ? { state: state!.trim() as EquipmentState, reason: r } : { state: state!.trim() as EquipmentState };
}

/**
 * A value→state map, either `1=Running, 0=Idle, 2=Down:JAM` (reason after a colon) or JSON
 * `{"1":"Running","2":{"state":"Down","reason":"JAM"}}` (also `"2":"Down:JAM"`).
 */
export function parseStateMap(text: string): Map<string, MappedState> {
  const map = new Map<string, MappedState>();
  const trimmed = text.trim();
  if (!trimmed) return map;
  if (trimmed.startsWith('{')) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(trimmed) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`state map is not valid JSON: ${(err as Error).message}`);
    }
    for (const [key, target] of Object.entries(json)) {
      if (typeof target === 'string') map.set(key, parseStateTarget(target, `state map entry "${key}"`));
      else if (target && typeof target === 'object' && typeof (target as MappedState).state === 'string') {
        const t = target as { state: string; reason?: unknown };
        const mapped = parseStateTarget(t.state, `state map entry "${key}"`);
        map.set(key, typeof t.reason === 'string' && t.reason ? { ...mapped, reason: t.reason } : mapped);
      } else throw new Error(`state map entry "${key}" must be a state name or { "state": …, "reason": … }`);
    }
    return map;
  }
  for (const entry of trimmed
    .split(/[,;\n]/)
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`state map entry "${entry}" must look like 1=Running or 2=Down:JAM`);
    map.set(entry.slice(0, eq).trim(), parseStateTarget(entry.slice(eq + 1), `state map entry "${entry}"`));
  }
  return map;
}

/** The state for a raw value: the map first (booleans as true/false or 1/0), else a state name as is. */
export function mapState(raw: unknown, map: Map<string, MappedState>): MappedState {
  const keys = typeof raw === 'boolean' ? [String(raw), raw ? '1' : '0'] : [String(raw)];
  for (const key of keys) {
    const hit = map.get(key);
    if (hit) return hit;
  }
  if (typeof raw === 'string' && STATE_SET.has(raw)) return { state: raw as EquipmentState };
  throw new Error(
    `no equipment state for value ${JSON.stringify(raw)}: add it to the state map (e.g. ${JSON.stringify(String(raw))}=Idle)`,
  );
}

/** Absolute deadband for process values: publish only when the value moved at least `band` since the last publish. */
export class Deadband {
  private readonly published = new Map<string, number>();
  constructor(private readonly band: number) {}

  /** True (and remembered as published) when the value should be published. */
  admit(key: string, value: number): boolean {
    const last = this.published.get(key);
    if (this.band > 0 && last !== undefined && Math.abs(value - last) < this.band) return false;
    this.published.set(key, value);
    return true;
  }

  /** The last admitted value never reached the hub: admit the next one whatever it is. */
  forget(key: string): void {
    this.published.delete(key);
  }
}

/**
 * Converts a machine's cumulative part counter into increments. The first reading only sets
 * the baseline (the parts before it were made before we watched). A total below the previous
 * one is a counter reset (shift change, PLC restart, wrap-around): the parts since the reset
 * are the new total.
 */
export class CumulativeCounter {
  private readonly totals = new Map<string, number>();
  /** Parts of increments the hub did not take, added to the next increment. */
  private readonly carried = new Map<string, number>();

  increment(key: string, total: number): number | null {
    const last = this.totals.get(key);
    this.totals.set(key, total);
    if (last === undefined) return null;
    const parts = (total >= last ? total - last : total) + (this.carried.get(key) ?? 0);
    this.carried.delete(key);
    return parts;
  }

  /** An increment was not published: count its parts with the next one, so none are lost. */
  carry(key: string, parts: number): void {
    this.carried.set(key, (this.carried.get(key) ?? 0) + parts);
  }
}

/**
 * Topic → path mapping, one rule per line: `pattern => path template`. Pattern levels are
 * literal, `+` (any one level), `{name}` (one level, captured) or a final `#` (the rest,
 * captured as `{#}`). Example: `plant/{line}/{machine}/state => acme/berlin/{line}/{machine}`.
 */
export class TopicMapping {
  private readonly rules: { pattern: string[]; template: string }[];

  constructor(text: string) {
    this.rules = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('//'))
      .map((line) => {
        const [pattern, template, extra] = line.split('=>').map((s) => s.trim());
        if (!pattern || !template || extra !== undefined)
          throw new Error(
            `topic mapping line "${line}" must look like plant/{line}/{machine} => acme/berlin/{line}/{machine}`,
          );
        const levels = pattern.split('/');
        if (levels.slice(0, -1).includes('#'))
          throw new Error(`topic mapping "${pattern}": # may only be the last level`);
        return { pattern: levels, template };
      });
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** The equipment path for a topic, or null when no rule matches. */
  pathFor(topic: string): string | null {
    const levels = topic.split('/');
    for (const rule of this.rules) {
      const captured = match(rule.pattern, levels);
      if (captured) return rule.template.replace(/\{([^}]+)\}/g, (whole, name: string) => captured[name] ?? whole);
    }
    return null;
  }
}

function match(pattern: string[], levels: string[]): Record<string, string> | null {
  const captured: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '#') {
      captured['#'] = levels.slice(i).join('/');
      return captured;
    }
    const level = levels[i];
    if (level === undefined || level === '') return null;
    if (p === '+') continue;
    if (p.startsWith('{') && p.endsWith('}')) captured[p.slice(1, -1)] = level;
    else if (p !== level) return null;
  }
  return pattern.length === levels.length ? captured : null;
}
