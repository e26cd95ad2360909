import { displayLabelsOf, Equipment, EquipmentLevel, type IndustryProfile, Permission } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { checkPath } from '../../core/keys.js';
import type { Principal } from '../../core/principal.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import { pathsVisible, requireAt } from '../../core/visibility.js';
import { fail, invalidInput, notFound } from '../../core/failures.js';

/** The site a path lies in: its first two segments (enterprise/site), as the hierarchy nests them. */
const sitePathOf = (path: string) => path.split('/').slice(0, 2).join('/');

/**
 * The words a site uses for the ISA-95 records (discrete, process, pharma, device), kept on the
 * site's equipment row. Display only: nothing in the schema or the rules depends on it.
 */
export class IndustryProfileService {
  constructor(private readonly uow: UnitOfWork) {}

  set(principal: Principal, path: string, profile: IndustryProfile | null) {
    return this.uow.run(principal.name, async (work) => {
      checkPath('path', path);
      const hidden = () => notFound('equipment', path);
      const site = (await work.tx.findOne(Equipment, { path })) ?? fail(hidden());
      requireAt(principal, Permission.ManageMasterData, path, hidden);
      if (site.level !== EquipmentLevel.Site)
        fail(invalidInput('path', `${path} is ${site.level}; an industry profile is set on a Site.`));
      const before = snapshot(site);
      site.industryProfile = profile;
      work.changed('IndustryProfileSet', site, site.path, before, profile ?? 'none');
      return site;
    });
  }

  /** The labels for `path`: those of the site it lies in (Discrete when the site has no profile). */
  async labelsAt(tx: Tx, principal: Principal, path: string) {
    checkPath('path', path);
    const visible = await tx.count(Equipment, { $and: [{ path }, pathsVisible(principal)] });
    if (!visible) fail(notFound('equipment', path));
    // Whoever reads a line reads its site's words, even without a grant on the site itself.
    const site = await tx.findOne(Equipment, { path: sitePathOf(path) }, { fields: ['industryProfile'] });
    return displayLabelsOf(site?.industryProfile);
  }
}
