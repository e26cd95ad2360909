import type { FilterQuery } from '@mikro-orm/core';
import {
  type CreateProductDefinitionInput,
  type CreateProductDefinitionVersionInput,
  EquipmentClass,
  MaterialDefinition,
  Permission,
  PRODUCT_DEFINITION_TRANSITIONS,
  ProductDefinition,
  type ProductDefinitionFilter,
  ProductDefinitionVersion,
  ProductDefinitionVersionState,
  type ProductSegment,
  type TransitionProductDefinitionVersionInput,
  type UpdateProductDefinitionVersionInput,
  type YieldBracket,
  ElectronicSignature,
  type SignatureInput,
  SignatureMeaning,
  SignedAct,
} from '@plantgraph/schema';
import { ENTERPRISE, type SignatureService } from '../../auth/signatures.js';
import type { Tx } from '../../infrastructure/database/database.js';
import { paginate, type PageRequest } from '../../core/paging.js';
import { checkKey, checkPath, checkText, likePrefix, isUuid } from '../../core/keys.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import type { Principal } from '../../core/principal.js';
import { requireEnterpriseWide } from '../../core/visibility.js';
import {
  duplicateKey,
  fail,
  invalidInput,
  invalidTransition,
  notFound,
  unknownReference,
} from '../../core/failures.js';

const S = ProductDefinitionVersionState;

/** The master manufacturing record: product definitions and their versions. */
/** The version new work orders are made by, if one is Active. */
export const activeVersionOf = (versions: ProductDefinitionVersion[]): ProductDefinitionVersion | null =>
  versions.find((v) => v.state === ProductDefinitionVersionState.Active) ?? null;

export class ProductDefinitionService {
  /** Product definitions are enterprise master data: any reader may look one up by code. */
  get(em: Tx, code: string): Promise<ProductDefinition | null> {
    return em.findOne(ProductDefinition, { code });
  }

  constructor(
    private readonly uow: UnitOfWork,
    private readonly signatures: SignatureService,
  ) {}

  list(em: Tx, filter: ProductDefinitionFilter | null | undefined, page: PageRequest) {
    const where: FilterQuery<ProductDefinition>[] = [];
    if (filter?.codePrefix) where.push({ code: { $like: likePrefix(filter.codePrefix) } });
    if (filter?.producedMaterial) where.push({ producedMaterial: { code: filter.producedMaterial } });
    return paginate(em, ProductDefinition, { $and: where }, page, 'code');
  }

  create(principal: Principal, input: CreateProductDefinitionInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      requireEnterpriseWide(principal, Permission.ManageMasterData);
      checkKey('code', input.code);
      checkText('name', input.name);
      if (await tx.count(ProductDefinition, { code: input.code })) fail(duplicateKey('product definition', input.code));
      const producedMaterial =
        (await tx.findOne(MaterialDefinition, { code: input.producedMaterial })) ??
        fail(unknownReference('producedMaterial', 'material definition', input.producedMaterial));
      await checkSegments(tx, input.segments);
      const definition = tx.create(ProductDefinition, { code: input.code, name: input.name.trim(), producedMaterial });
      const version = tx.create(ProductDefinitionVersion, {
        productDefinition: definition,
        version: 1,
        segments: plain(input.segments),
        changeNote: input.changeNote ?? null,
        yieldBracket: yieldBracketOf(input.yieldBracket),
        authors: [principal.name],
      });
      work.changed('ProductDefinitionCreated', definition, input.code);
      work.changed('ProductDefinitionVersionCreated', version, `${input.code}/1`);
      return definition;
    });
  }

  createVersion(principal: Principal, input: CreateProductDefinitionVersionInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      requireEnterpriseWide(principal, Permission.ManageMasterData);
      const definition =
        (await tx.findOne(ProductDefinition, { code: input.productDefinition })) ??
        fail(notFound('product definition', input.productDefinition));
      const versions = await tx.find(
        ProductDefinitionVersion,
        { productDefinition: definition },
        { orderBy: { version: 'desc' } },
      );
      const draft = versions.find((v) => v.state === S.Draft || v.state === S.ForReview);
      if (draft)
        fail(
          invalidInput(
            'productDefinition',
            `version ${draft.version} is still ${draft.state}; finish or edit it before starting another.`,
          ),
        );
      const segments = input.segments ?? versions[0]?.segments ?? [];
      if (input.segments) await checkSegments(tx, input.segments);
      const number = (versions[0]?.version ?? 0) + 1;
      const version = tx.create(ProductDefinitionVersion, {
        productDefinition: definition,
        version: number,
        segments: plain(segments),
        changeNote: input.changeNote ?? null,
        yieldBracket: input.yieldBracket ? yieldBracketOf(input.yieldBracket) : (versions[0]?.yieldBracket ?? null),
        authors: [principal.name],
      });
      work.changed('ProductDefinitionVersionCreated', version, `${definition.code}/${number}`);
      return version;
    });
  }

  updateVersion(principal: Principal, input: UpdateProductDefinitionVersionInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      requireEnterpriseWide(principal, Permission.ManageMasterData);
      const version = await findVersion(tx, input.id);
      if (version.state !== S.Draft)
        fail(
          invalidInput(
            'id',
            `version ${version.version} is ${version.state}; only a Draft can change. Start a new version instead.`,
          ),
        );
      const before = snapshot(version);
      if (input.segments) {
        await checkSegments(tx, input.segments);
        version.segments = plain(input.segments);
      }
      if (input.changeNote !== undefined) version.changeNote = input.changeNote;
      if (input.yieldBracket !== undefined) version.yieldBracket = yieldBracketOf(input.yieldBracket);
      version.authors = withAuthor(version.authors, principal);
      work.changed(
        'ProductDefinitionVersionUpdated',
        version,
        `${version.productDefinition.code}/${version.version}`,
        before,
      );
      return version;
    });
  }

  transitionVersion(principal: Principal, input: TransitionProductDefinitionVersionInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      // Approving, activating and retiring a master record is the quality unit's decision; the rest is authoring.
      requireEnterpriseWide(
        principal,
        [S.Draft, S.ForReview].includes(input.state) ? Permission.ManageMasterData : Permission.QualityApproval,
      );
      const version = await findVersion(tx, input.id);
      const allowed = PRODUCT_DEFINITION_TRANSITIONS[version.state];
      if (!allowed.includes(input.state))
        fail(invalidTransition(`Version ${version.version}`, version.state, input.state, [...allowed]));
      if (input.state === S.ForReview && !version.segments.length)
        fail(invalidInput('id', 'a version needs at least one segment before review.'));
      if (input.signature && input.state !== S.Approved)
        fail(invalidInput('signature', `only approving is signed here; moving to ${input.state} takes no signature.`));
      // Submitting is the authors' last act on the content.
      if (input.state === S.ForReview) version.authors = withAuthor(version.authors, principal);
      if (input.state === S.Approved) await this.#signApproval(tx, principal, version, input.signature);
      if (input.state === S.Active) {
        for (const active of await tx.find(ProductDefinitionVersion, {
          productDefinition: version.productDefinition,
          state: S.Active,
        })) {
          const before = snapshot(active);
          Object.assign(active, { state: S.Deprecated, stateChangedAt: new Date() });
          work.changed(
            'ProductDefinitionVersionDeprecated',
            active,
            `${version.productDefinition.code}/${active.version}`,
            before,
          );
        }
      }
      const before = snapshot(version);
      Object.assign(version, { state: input.state, stateChangedAt: new Date() });
      work.changed(
        `ProductDefinitionVersion${input.state === S.ForReview ? 'SubmittedForReview' : input.state === S.Draft ? 'ReturnedToDraft' : input.state}`,
        version,
        `${version.productDefinition.code}/${version.version}`,
        before,
      );
      return version;
    });
  }

  /**
   * Reviews a version submitted for review: a signature with the meaning Review by someone holding
   * Sign for the whole enterprise who did not write it. Approval needs a review made since the last
   * submission.
   */
  review(principal: Principal, id: string, signature: SignatureInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      requireEnterpriseWide(principal, Permission.Sign);
      const version = await findVersion(tx, id);
      if (version.state !== S.ForReview)
        fail(
          invalidInput('id', `version ${version.version} is ${version.state}; only a version ForReview is reviewed.`),
        );
      const reviews = await currentReviews(tx, version);
      const signed = await this.signatures.sign(
        tx,
        'signature',
        signature,
        {
          act: SignedAct.MasterRecordReview,
          meaning: SignatureMeaning.Review,
          at: ENTERPRISE,
          excluded: new Map([
            ...authorsOf(version),
            ...reviews.map((r) => [r.signer, 'they reviewed this version already'] as const),
          ]),
        },
        'ProductDefinitionVersion',
        version,
      );
      work.changed(
        'ProductDefinitionVersionReviewed',
        version,
        `${version.productDefinition.code}/${version.version}`,
        snapshot(version),
        `reviewed by ${signed.printedName} (${signed.signer})`,
      );
      return version;
    });
  }

  /**
   * ForReview → Approved: reviewed since submitted, and signed Approval by the quality unit, someone
   * who neither wrote nor reviewed it. Only the hub itself (seeding its demo, in process) approves
   * without: no API caller is a system principal.
   */
  async #signApproval(
    tx: Tx,
    principal: Principal,
    version: ProductDefinitionVersion,
    signature: SignatureInput | null | undefined,
  ): Promise<void> {
    if (principal.kind === 'system') return;
    const reviews = await currentReviews(tx, version);
    if (!reviews.length)
      fail(
        invalidInput(
          'id',
          `version ${version.version} has not been reviewed since it was submitted; someone holding Sign who did not write it reviews it first (reviewProductDefinitionVersion).`,
        ),
      );
    if (!signature)
      fail(
        invalidInput(
          'signature',
          'approving a master record is signed: give the Approval signature of a quality approver who neither wrote nor reviewed it.',
        ),
      );
    await this.signatures.sign(
      tx,
      'signature',
      signature,
      {
        act: SignedAct.MasterRecordApproval,
        meaning: SignatureMeaning.Approval,
        at: ENTERPRISE,
        excluded: new Map([
          ...authorsOf(version),
          ...reviews.map(
            (r) => [r.signer, 'they reviewed this version, and the approver must be a third person'] as const,
          ),
        ]),
      },
      'ProductDefinitionVersion',
      version,
    );
  }
}

/** The version's authors with the principal added (an author is anyone who wrote, changed or submitted it). */
const withAuthor = (authors: string[], principal: Principal) =>
  authors.includes(principal.name) ? authors : [...authors, principal.name];

/** The people among the authors (principal names `user:<employee id>`), each with why they may not sign. */
const authorsOf = (version: ProductDefinitionVersion) =>
  version.authors
    .filter((a) => a.startsWith('user:'))
    .map(
      (a) =>
        [
          a.slice('user:'.length),
          'they wrote this version, and its authors may neither review nor approve it',
        ] as const,
    );

/** Reviews signed since the version last entered ForReview: a version sent back to Draft is reviewed again. */
const currentReviews = (tx: Tx, version: ProductDefinitionVersion) =>
  tx.find(ElectronicSignature, {
    recordType: 'ProductDefinitionVersion',
    recordId: version.id,
    act: SignedAct.MasterRecordReview,
    signedAt: { $gte: version.stateChangedAt },
  });

export async function findVersion(tx: Tx, id: string): Promise<ProductDefinitionVersion> {
  return (
    (isUuid(id) && (await tx.findOne(ProductDefinitionVersion, { id }, { populate: ['productDefinition'] }))) ||
    fail(notFound('product definition version', id))
  );
}

/** A yield bracket as stored: plain, checked to be a range of percentages. */
function yieldBracketOf(bracket: YieldBracket | null | undefined): YieldBracket | null {
  if (!bracket) return null;
  const { minPercent, maxPercent } = bracket;
  if (
    ![minPercent, maxPercent].every(Number.isFinite) ||
    minPercent < 0 ||
    maxPercent > 1000 ||
    minPercent > maxPercent
  )
    fail(
      invalidInput(
        'yieldBracket',
        `give percentages of the planned quantity with 0 ≤ minPercent ≤ maxPercent ≤ 1000 (got ${minPercent}–${maxPercent}).`,
      ),
    );
  return { minPercent, maxPercent };
}

/** Type-graphql inputs are class instances; the JSON column wants plain data. */
export const plain = (segments: ProductSegment[]): ProductSegment[] =>
  JSON.parse(JSON.stringify(segments)) as ProductSegment[];

/** Every reference in the segments must exist and every number must make sense. */
export async function checkSegments(tx: Tx, segments: ProductSegment[]): Promise<void> {
  const codes = new Set<string>();
  const classCodes = new Set(segments.flatMap((s) => (s.equipmentClass ? [s.equipmentClass] : [])));
  const materialCodes = new Set(segments.flatMap((s) => s.materials.map((m) => m.materialDefinition)));
  const classes = new Set((await tx.find(EquipmentClass, { code: { $in: [...classCodes] } })).map((c) => c.code));
  const materials = new Map(
    (await tx.find(MaterialDefinition, { code: { $in: [...materialCodes] } })).map((m) => [m.code, m]),
  );
  for (const [i, s] of segments.entries()) {
    const at = `segments[${i}]`;
    checkKey(`${at}.code`, s.code);
    if (codes.has(s.code))
      fail(
        invalidInput(
          `${at}.code`,
          `"${s.code}" is used by two segments; segment codes must be unique within a version.`,
        ),
      );
    codes.add(s.code);
    checkText(`${at}.name`, s.name);
    if (s.qualification) checkKey(`${at}.qualification`, s.qualification);
    if (s.equipmentClass && !classes.has(s.equipmentClass))
      fail(unknownReference(`${at}.equipmentClass`, 'equipment class', s.equipmentClass));
    for (const [j, path] of (s.outsideEquipment ?? []).entries()) checkPath(`${at}.outsideEquipment[${j}]`, path);
    if (s.durationMinutes != null && s.durationMinutes <= 0)
      fail(invalidInput(`${at}.durationMinutes`, `must be above 0 (got ${s.durationMinutes}).`));
    for (const [j, m] of s.materials.entries()) {
      const definition =
        materials.get(m.materialDefinition) ??
        fail(unknownReference(`${at}.materials[${j}].materialDefinition`, 'material definition', m.materialDefinition));
      if (!(m.quantity > 0 && Number.isFinite(m.quantity)))
        fail(invalidInput(`${at}.materials[${j}].quantity`, `must be above 0 (got ${m.quantity}).`));
      if (m.unitOfMeasure !== definition.unitOfMeasure)
        fail(
          invalidInput(
            `${at}.materials[${j}].unitOfMeasure`,
            `"${m.unitOfMeasure}" differs from the unit of ${definition.code} (${definition.unitOfMeasure}).`,
          ),
        );
    }
    const names = new Set<string>();
    for (const [j, p] of s.parameters.entries()) {
      const field = `${at}.parameters[${j}]`;
      checkText(`${field}.name`, p.name, 64);
      if (names.has(p.name))
        fail(invalidInput(`${field}.name`, `parameter "${p.name}" is given twice in segment ${s.code}.`));
      names.add(p.name);
      if (![p.target, p.lowerLimit, p.upperLimit].every(Number.isFinite))
        fail(invalidInput(field, 'target and limits must be finite numbers.'));
      if (!(p.lowerLimit <= p.target && p.target <= p.upperLimit)) {
        fail(
          invalidInput(
            `${field}.target`,
            `must lie within the limits: ${p.lowerLimit} ≤ target ≤ ${p.upperLimit} (got ${p.target}).`,
          ),
        );
      }
    }
  }
}
