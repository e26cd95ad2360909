// The mapping document of an installation: which MaintainX asset is which equipment of the hub, which of
// its meters take runtime hours and cycle counts, which work order categories are calibrations, and which
// work order statuses hold which condition. Checked when the instance is saved, each issue naming its path.

export type MaintenanceCondition = 'MaintenanceDue' | 'UnderMaintenance';
export const MAINTENANCE_CONDITIONS: readonly MaintenanceCondition[] = ['MaintenanceDue', 'UnderMaintenance'];

export interface AssetMapping {
  /** MaintainX's asset id. */
  assetId: number;
  /** The hub's equipment path, e.g. `acme/berlin/assembly/line-1/press-1`. */
  equipment: string;
  /** MaintainX meter ids that take the equipment's runtime hours and cycle counts. */
  meters?: { runtimeHours?: number; cycleCount?: number };
}

export interface CmmsMapping {
  version: 1;
  assets: AssetMapping[];
  /** Work orders with one of these categories are calibrations (CalibrationDue at their due date). */
  calibrationCategories: string[];
  /** The condition an open maintenance work order holds, by MaintainX status; other statuses clear it. */
  conditions: Record<string, MaintenanceCondition>;
}

export const DEFAULT_CONDITIONS: Readonly<Record<string, MaintenanceCondition>> = {
  OPEN: 'UnderMaintenance',
  IN_PROGRESS: 'UnderMaintenance',
  ON_HOLD: 'UnderMaintenance',
};

export interface MappingIssue {
  path: string;
  message: string;
}

const PATH = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)+$/;
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Checks a mapping document; with no issues, returns it with the defaults filled. */
export function validateMapping(
  value: unknown,
): { ok: true; mapping: CmmsMapping } | { ok: false; issues: MappingIssue[] } {
  const issues: MappingIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, issues: [{ path: '', message: 'must be an object ({ version: 1, assets: [...] })' }] };
  const doc = value as Record<string, unknown>;
  for (const key of Object.keys(doc))
    if (!['version', 'assets', 'calibrationCategories', 'conditions'].includes(key))
      add(key, 'is not part of the mapping (version, assets, calibrationCategories, conditions)');
  if (doc.version !== 1) add('version', 'must be 1');
  const assets = Array.isArray(doc.assets) ? doc.assets : [];
  if (!Array.isArray(doc.assets) || !assets.length)
    add('assets', 'must list at least one { assetId, equipment } (MaintainX asset id → hub equipment path)');
  const assetIds = new Set<number>();
  const paths = new Set<string>();
  const meterIds = new Set<number>();
  assets.forEach((a: Record<string, unknown>, i) => {
    const at = `assets[${i}]`;
    if (!isId(a?.assetId)) add(`${at}.assetId`, "must be MaintainX's asset id (a positive integer)");
    else if (assetIds.has(a.assetId)) add(`${at}.assetId`, `maps asset ${a.assetId} a second time`);
    else assetIds.add(a.assetId);
    if (typeof a?.equipment !== 'string' || !PATH.test(a.equipment))
      add(`${at}.equipment`, 'must be an equipment path, e.g. acme/berlin/assembly/line-1/press-1');
    else if (paths.has(a.equipment)) add(`${at}.equipment`, `${a.equipment} is mapped to two assets`);
    else paths.add(a.equipment);
    if (a?.meters === undefined) return;
    if (typeof a.meters !== 'object' || a.meters === null) {
      add(`${at}.meters`, 'must be { runtimeHours?, cycleCount? } with MaintainX meter ids');
      return;
    }
    for (const [measure, id] of Object.entries(a.meters as Record<string, unknown>)) {
      if (measure !== 'runtimeHours' && measure !== 'cycleCount')
        add(`${at}.meters.${measure}`, 'is not a measure the hub sends (runtimeHours, cycleCount)');
      else if (!isId(id)) add(`${at}.meters.${measure}`, "must be MaintainX's meter id (a positive integer)");
      else if (meterIds.has(id)) add(`${at}.meters.${measure}`, `meter ${id} is mapped twice`);
      else meterIds.add(id);
    }
  });
  const categories = doc.calibrationCategories ?? ['Calibration'];
  if (!Array.isArray(categories) || categories.some((c) => typeof c !== 'string' || !c.trim()))
    add('calibrationCategories', 'must be a list of MaintainX work order categories, e.g. ["Calibration"]');
  const conditions = doc.conditions ?? DEFAULT_CONDITIONS;
  if (typeof conditions !== 'object' || conditions === null || Array.isArray(conditions))
    add('conditions', 'must map MaintainX statuses to a condition, e.g. { "OPEN": "UnderMaintenance" }');
  else
    for (const [status, condition] of Object.entries(conditions as Record<string, unknown>)) {
      if (status === 'DONE') add('conditions.DONE', 'DONE closes a work order: it clears the condition');
      else if (!MAINTENANCE_CONDITIONS.includes(condition as MaintenanceCondition))
        add(`conditions.${status}`, `must be ${MAINTENANCE_CONDITIONS.join(' or ')}`);
    }
  if (issues.length) return { ok: false, issues };
  return {
    ok: true,
    mapping: {
      version: 1,
      assets: assets as AssetMapping[],
      calibrationCategories: categories as string[],
      conditions: conditions as Record<string, MaintenanceCondition>,
    },
  };
}

/** The mapping looked up both ways. */
export class MappedAssets {
  private readonly byAsset = new Map<number, AssetMapping>();
  private readonly byPath = new Map<string, AssetMapping>();

  constructor(readonly mapping: CmmsMapping) {
    for (const asset of mapping.assets) {
      this.byAsset.set(asset.assetId, asset);
      this.byPath.set(asset.equipment, asset);
    }
  }

  asset(assetId: number | null | undefined): AssetMapping | undefined {
    return assetId == null ? undefined : this.byAsset.get(assetId);
  }

  equipment(path: string | null): AssetMapping | undefined {
    return path == null ? undefined : this.byPath.get(path);
  }
}
