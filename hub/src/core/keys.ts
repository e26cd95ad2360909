import { fail, invalidInput } from './failures.js';

const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const KEY = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/** Equipment codes become path segments and NATS subject tokens, hence the narrow alphabet. */
export function checkPathSegment(field: string, code: string): void {
  if (!SEGMENT.test(code))
    fail(invalidInput(field, `"${code}" is not a valid code: use 1-64 letters, digits, "-" or "_".`));
}

export const isEquipmentPath = (path: string): boolean =>
  path.length <= 1024 && path.split('/').every((s) => SEGMENT.test(s));

/** A path given as input: segments separated by "/". */
export function checkPath(field: string, path: string): void {
  if (!isEquipmentPath(path)) {
    fail(
      invalidInput(
        field,
        `"${path}" is not a valid equipment path: segments of letters, digits, "-" or "_", separated by "/" (e.g. acme/berlin/assembly).`,
      ),
    );
  }
}

/** Business keys (class codes, lot numbers, employee ids, order numbers). */
export function checkKey(field: string, key: string): void {
  if (!KEY.test(key))
    fail(
      invalidInput(
        field,
        `"${key}" is not a valid key: start with a letter or digit; then letters, digits, ".", "_", ":", "/" or "-"; at most 128.`,
      ),
    );
}

export function checkText(field: string, text: string, max = 256): void {
  if (!text.trim()) fail(invalidInput(field, 'must not be empty.'));
  if (text.length > max) fail(invalidInput(field, `must be at most ${max} characters (got ${text.length}).`));
}

export function checkQuantity(field: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) fail(invalidInput(field, `must be a number of at least 0 (got ${value}).`));
  if (value >= 1e12) fail(invalidInput(field, `must be below 10^12 (got ${value}).`));
}

/** Escapes a user-given prefix for SQL LIKE. */
export const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Rows whose `path` is `prefix` or lies under it. */
export const underPathOf = (prefix: string) => ({
  $or: [{ path: prefix }, { path: { $like: likePrefix(`${prefix}/`) } }],
});

/** Quantities are stored with 6 decimals; round sums the same way so they compare exactly. */
export const roundQuantity = (n: number): number => Math.round(n * 1e6) / 1e6;

/** Ids are UUIDs; anything else cannot name a stored object (and must not reach a uuid column). */
export const isUuid = (id: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
