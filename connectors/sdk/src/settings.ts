// A connector's settings: a flat schema of named fields, checked when an instance is saved. Fields marked
// `secret` are write-only: the hub stores them encrypted and never returns them.

export type SettingType = 'string' | 'number' | 'boolean' | 'json';

export interface SettingField {
  type: SettingType;
  description: string;
  /** Must be given when the instance is saved (a stored secret counts as given). */
  required?: boolean;
  /** Write-only: stored encrypted, never shown, never audited. */
  secret?: boolean;
  /** Used when the field is not given. */
  default?: string | number | boolean;
  /** For numbers: inclusive bounds. */
  min?: number;
  max?: number;
  /** For strings: a pattern the whole value must match, with what it means for the message. */
  pattern?: { regex: RegExp; means: string };
}

export type SettingsSchema = Readonly<Record<string, SettingField>>;

/** The settings as a connector reads them: every field with its value (secrets decrypted). */
export type Settings = Readonly<Record<string, unknown>>;

/** One problem with the settings, naming the field (and inside a JSON field, the path) to fix. */
export interface SettingsIssue {
  field: string;
  message: string;
}

export type SettingsValidation = { ok: true; settings: Settings } | { ok: false; issues: SettingsIssue[] };

/**
 * Checks `values` against `schema`: unknown fields, types, bounds, patterns, required fields. Defaults
 * fill what is missing. JSON fields are checked only for being JSON here; deeper checks belong to the
 * definition's `validate`.
 */
export function validateSettings(schema: SettingsSchema, values: Record<string, unknown>): SettingsValidation {
  const issues: SettingsIssue[] = [];
  const settings: Record<string, unknown> = {};
  for (const name of Object.keys(values)) {
    if (!(name in schema))
      issues.push({ field: name, message: `is not a setting of this connector (${Object.keys(schema).join(', ')})` });
  }
  for (const [name, field] of Object.entries(schema)) {
    const value = values[name] ?? field.default;
    if (value === undefined || value === null || value === '') {
      if (field.required) issues.push({ field: name, message: `is required: ${field.description}` });
      continue;
    }
    const problem = checkValue(field, value);
    if (problem) issues.push({ field: name, message: problem });
    else settings[name] = value;
  }
  return issues.length ? { ok: false, issues } : { ok: true, settings };
}

function checkValue(field: SettingField, value: unknown): string | null {
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') return `must be a string, got ${typeof value}`;
      if (field.pattern && !field.pattern.regex.test(value)) return `must be ${field.pattern.means}`;
      return null;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number, got ${JSON.stringify(value)}`;
      if (field.min !== undefined && value < field.min) return `must be at least ${field.min}`;
      if (field.max !== undefined && value > field.max) return `must be at most ${field.max}`;
      return null;
    case 'boolean':
      return typeof value === 'boolean' ? null : `must be true or false, got ${JSON.stringify(value)}`;
    case 'json':
      return typeof value === 'object' ? null : `must be a JSON object or array, got ${typeof value}`;
  }
}

/** The names of the schema's secret fields. */
export function secretFields(schema: SettingsSchema): string[] {
  return Object.entries(schema)
    .filter(([, f]) => f.secret)
    .map(([name]) => name);
}

/** Splits values into what may be shown and stored in the clear, and the secrets. */
export function splitSecrets(
  schema: SettingsSchema,
  values: Record<string, unknown>,
): { plain: Record<string, unknown>; secrets: Record<string, unknown> } {
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) (schema[name]?.secret ? secrets : plain)[name] = value;
  return { plain, secrets };
}
