import { type ChangeoverRule, RequiredCleaning, ScheduleEntryKind } from '@plantgraph/schema';

/** What the changeover matrix knows of a product. */
export interface ProductTraits {
  product: string;
  family: string | null;
  allergens: readonly string[];
}

/** The changeover from one product to the next on a unit, as the matching rules add up. */
export interface ChangeoverNeed {
  minutes: number;
  cleaning: RequiredCleaning;
  /** Names of the rules that matched, longest first. */
  rules: string[];
  /** The rule asking for the cleaning (named in refusals); null when none is asked for. */
  cleaningRule: string | null;
}

const STRENGTH: Record<RequiredCleaning, number> = {
  [RequiredCleaning.None]: 0,
  [RequiredCleaning.Cleaning]: 1,
  [RequiredCleaning.Sanitation]: 2,
};

export const NO_CHANGEOVER: ChangeoverNeed = Object.freeze({
  minutes: 0,
  cleaning: RequiredCleaning.None,
  rules: [],
  cleaningRule: null,
});

/** The forms a side of a rule takes; anything else is refused when the rule is set. */
export const PRODUCT_SET = /^(\*|product:[^\s]+|family:[^\s]+|contains:[^\s]+|free-of:[^\s]+)$/;

/** Whether a product belongs to a side of a rule (`product:`, `family:`, `contains:`, `free-of:`, `*`). */
export function inProductSet(set: string, p: ProductTraits): boolean {
  if (set === '*') return true;
  const colon = set.indexOf(':');
  const kind = set.slice(0, colon);
  const value = set.slice(colon + 1);
  if (kind === 'product') return p.product === value;
  if (kind === 'family') return p.family === value;
  if (kind === 'contains') return p.allergens.includes(value);
  if (kind === 'free-of') return !p.allergens.includes(value);
  return false;
}

const covers = (scope: string, path: string) => path === scope || path.startsWith(`${scope}/`);

/**
 * The changeover between two products on a unit: every rule whose scope covers the unit and whose
 * sides match applies; the longest time and the strongest cleaning win. The same product after
 * itself needs nothing unless a rule names it on both sides.
 */
export function changeoverBetween(
  rules: readonly Pick<
    ChangeoverRule,
    'name' | 'scope' | 'fromProducts' | 'toProducts' | 'minutes' | 'requiredCleaning'
  >[],
  unitPath: string,
  from: ProductTraits | null,
  to: ProductTraits,
): ChangeoverNeed {
  if (!from) return NO_CHANGEOVER;
  let need: ChangeoverNeed = { minutes: 0, cleaning: RequiredCleaning.None, rules: [], cleaningRule: null };
  for (const rule of rules) {
    if (!covers(rule.scope, unitPath) || !inProductSet(rule.fromProducts, from) || !inProductSet(rule.toProducts, to))
      continue;
    if (from.product === to.product && !rule.fromProducts.startsWith('product:')) continue;
    const stronger = STRENGTH[rule.requiredCleaning] > STRENGTH[need.cleaning];
    need = {
      minutes: Math.max(need.minutes, rule.minutes),
      cleaning: stronger ? rule.requiredCleaning : need.cleaning,
      rules: rule.minutes > need.minutes ? [rule.name, ...need.rules] : [...need.rules, rule.name],
      cleaningRule: stronger ? rule.name : need.cleaningRule,
    };
  }
  return need;
}

/** Whether a scheduled cleaning of this kind does what the rule asks (a sanitation is also a cleaning). */
export function cleaningSatisfies(kind: ScheduleEntryKind, required: RequiredCleaning): boolean {
  if (required === RequiredCleaning.None) return true;
  if (kind === ScheduleEntryKind.Sanitation) return true;
  return kind === ScheduleEntryKind.Cleaning && required === RequiredCleaning.Cleaning;
}

/** Units related in the schedule: the same, or one a part of the other (a line holds its units). */
export const related = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
