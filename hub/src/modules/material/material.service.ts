import { type FilterQuery, LockMode } from '@mikro-orm/core';
import {
  type CreateMaterialDefinitionInput,
  type CreateMaterialLotInput,
  type CreateMaterialSublotInput,
  MaterialDefinition,
  type MaterialDefinitionFilter,
  MaterialLot,
  type MaterialLotFilter,
  MaterialSublot,
  Permission,
  type SignatureInput,
  SignatureMeaning,
  SignedAct,
  type UpdateMaterialDefinitionInput,
  type UpdateMaterialLotInput,
} from '@plantgraph/schema';
import { ENTERPRISE, type SignatureService } from '../../auth/signatures.js';
import { allowLotChange } from './lot-changes.js';
import type { Tx } from '../../infrastructure/database/database.js';
import { paginate, type PageRequest } from '../../core/paging.js';
import { checkKey, checkQuantity, checkText, likePrefix, underPathOf } from '../../core/keys.js';
import { requireValuesFit } from '../shared/properties.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import type { Principal } from '../../core/principal.js';
import {
  placeAt,
  placedVisible,
  requireEnterpriseWide,
  requireManageablePlace,
  sharedVisible,
} from '../../core/visibility.js';
import type { MaterialClassService } from './material-class.js';
import { duplicateKey, keyTaken, fail, invalidInput, notFound, unknownReference } from '../../core/failures.js';

/** Material definitions, lots and sublots (IEC 62264-2 material model); classes are `MaterialClassService`. */
export class MaterialService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly classes: MaterialClassService,
    private readonly signatures: SignatureService,
  ) {}

  getDefinition(em: Tx, principal: Principal, code: string) {
    return em.findOne(MaterialDefinition, { $and: [{ code }, sharedVisible(principal)] });
  }

  /** Ordered by code. */
  listDefinitions(
    em: Tx,
    principal: Principal,
    filter: MaterialDefinitionFilter | null | undefined,
    page: PageRequest,
  ) {
    const where: FilterQuery<MaterialDefinition>[] = [sharedVisible(principal)];
    if (filter?.materialClass) where.push({ materialClass: { code: filter.materialClass } });
    if (filter?.codePrefix) where.push({ code: { $like: likePrefix(filter.codePrefix) } });
    return paginate(em, MaterialDefinition, { $and: where }, page, 'code');
  }

  /** Whether the lot is past its expiry now. */
  isExpired(lot: MaterialLot): boolean {
    return Boolean(lot.expiresAt && lot.expiresAt.getTime() <= Date.now());
  }

  getLot(em: Tx, principal: Principal, lotNumber: string) {
    return em.findOne(MaterialLot, { $and: [{ lotNumber }, placedVisible(principal, 'location')] });
  }

  listLots(em: Tx, principal: Principal, filter: MaterialLotFilter | null | undefined, page: PageRequest) {
    const where: FilterQuery<MaterialLot>[] = [placedVisible(principal, 'location') as FilterQuery<MaterialLot>];
    if (filter?.materialDefinition) where.push({ materialDefinition: { code: filter.materialDefinition } });
    if (filter?.status?.length) where.push({ status: { $in: filter.status } });
    if (filter?.locationPrefix) where.push({ location: underPathOf(filter.locationPrefix) });
    if (filter?.expiresBefore) where.push({ expiresAt: { $lt: filter.expiresBefore } });
    return paginate(em, MaterialLot, { $and: where }, page, 'lotNumber');
  }

  createDefinition(principal: Principal, input: CreateMaterialDefinitionInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      requireEnterpriseWide(principal, Permission.ManageMasterData);
      checkKey('code', input.code);
      checkText('name', input.name);
      checkText('unitOfMeasure', input.unitOfMeasure, 32);
      if (await tx.count(MaterialDefinition, { code: input.code }))
        fail(duplicateKey('material definition', input.code));
      const materialClass = input.materialClass ? await this.classOf(tx, input.materialClass) : null;
      requireValuesFit(materialClass, input.properties, 'material');
      const definition = tx.create(MaterialDefinition, {
        code: input.code,
        name: input.name.trim(),
        materialClass,
        unitOfMeasure: input.unitOfMeasure,
        properties: input.properties,
      });
      work.changed('MaterialDefinitionCreated', definition, input.code);
      return definition;
    });
  }

  updateDefinition(principal: Principal, code: string, input: UpdateMaterialDefinitionInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      requireEnterpriseWide(principal, Permission.ManageMasterData);
      const definition =
        (await tx.findOne(MaterialDefinition, { code }, { populate: ['materialClass'] })) ??
        fail(notFound('material definition', code));
      const before = snapshot(definition);
      if (input.name != null) {
        checkText('name', input.name);
        definition.name = input.name.trim();
      }
      if (input.materialClass != null) {
        definition.materialClass = input.materialClass === '' ? null : await this.classOf(tx, input.materialClass);
      }
      if (input.properties) definition.properties = input.properties;
      requireValuesFit(definition.materialClass ?? null, definition.properties, 'material');
      work.changed('MaterialDefinitionUpdated', definition, code, before);
      return definition;
    });
  }

  createLot(principal: Principal, input: CreateMaterialLotInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkKey('lotNumber', input.lotNumber);
      checkQuantity('quantity', input.quantity);
      if (await tx.count(MaterialLot, { lotNumber: input.lotNumber }))
        fail(keyTaken('material lot number', input.lotNumber));
      const definition =
        (await tx.findOne(MaterialDefinition, { code: input.materialDefinition }, { populate: ['materialClass'] })) ??
        fail(unknownReference('materialDefinition', 'material definition', input.materialDefinition));
      if (input.unitOfMeasure && input.unitOfMeasure !== definition.unitOfMeasure) {
        fail(
          invalidInput(
            'unitOfMeasure',
            `"${input.unitOfMeasure}" differs from the unit of ${definition.code} (${definition.unitOfMeasure}); convert the quantity to ${definition.unitOfMeasure}.`,
          ),
        );
      }
      requireValuesFit(definition.materialClass ?? null, input.properties, 'material');
      const lot = tx.create(MaterialLot, {
        lotNumber: input.lotNumber,
        materialDefinition: definition,
        quantity: input.quantity,
        unitOfMeasure: definition.unitOfMeasure,
        status: input.status,
        expiresAt: input.expiresAt ?? null,
        location: await placeAt(tx, principal, 'location', input.location),
        properties: input.properties,
      });
      work.changed('MaterialLotCreated', lot, input.lotNumber);
      return lot;
    });
  }

  /**
   * Changes a lot by hand, within the rules that keep it from being changed around the record
   * (`lot-changes.ts`): audited with the reason, and signed where it is released product.
   */
  updateLot(
    principal: Principal,
    lotNumber: string,
    input: UpdateMaterialLotInput,
    signature: SignatureInput | null = null,
  ) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const hidden = () => notFound('material lot', lotNumber);
      const lot =
        (await tx.findOne(
          MaterialLot,
          { $and: [{ lotNumber }, placedVisible(principal, 'location')] },
          { populate: ['materialDefinition.materialClass', 'location'], lockMode: LockMode.PESSIMISTIC_WRITE },
        )) ?? fail(hidden());
      const { reason, needsSignature } = await allowLotChange(tx, principal, lot, input, hidden);
      if (needsSignature && !signature)
        fail(
          invalidInput(
            'signature',
            `lot ${lotNumber} is released product: changing its quantity needs the signature of the person responsible, with the reason.`,
          ),
        );
      if (!needsSignature && signature)
        fail(invalidInput('signature', 'only a change of the quantity of released product is signed; leave it out.'));
      const before = snapshot(lot);
      if (input.quantity != null) {
        checkQuantity('quantity', input.quantity);
        const inSublots = await sublotTotal(tx, lot);
        if (input.quantity < inSublots)
          fail(
            invalidInput(
              'quantity',
              `${input.quantity} is less than the ${inSublots} ${lot.unitOfMeasure} held in sublots of ${lotNumber}; reduce the sublots first.`,
            ),
          );
        lot.quantity = input.quantity;
      }
      if (input.status != null) lot.status = input.status;
      if (input.expiresAt !== undefined) lot.expiresAt = input.expiresAt;
      if (input.location != null) lot.location = await placeAt(tx, principal, 'location', input.location || null);
      if (input.properties) {
        requireValuesFit(lot.materialDefinition.materialClass ?? null, input.properties, 'material');
        lot.properties = input.properties;
      }
      // Signed as changed, so the signature is bound to the lot's new content.
      if (signature)
        await this.signatures.sign(
          tx,
          'signature',
          signature,
          {
            act: SignedAct.ReleasedProductChange,
            meaning: SignatureMeaning.Approval,
            at: lot.location?.path ?? ENTERPRISE,
          },
          'MaterialLot',
          lot,
        );
      work.changed('MaterialLotUpdated', lot, lotNumber, before, reason);
      return lot;
    });
  }

  createSublot(principal: Principal, input: CreateMaterialSublotInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkKey('sublotNumber', input.sublotNumber);
      checkQuantity('quantity', input.quantity);
      if (await tx.count(MaterialSublot, { sublotNumber: input.sublotNumber }))
        fail(keyTaken('material sublot number', input.sublotNumber));
      // Lock the lot so concurrent sublots cannot together exceed it.
      const lot =
        (await tx.findOne(
          MaterialLot,
          { $and: [{ lotNumber: input.lot }, placedVisible(principal, 'location')] },
          { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['location'] },
        )) ?? fail(unknownReference('lot', 'material lot', input.lot));
      requireManageablePlace(principal, lot.location, () => unknownReference('lot', 'material lot', input.lot));
      const free = lot.quantity - (await sublotTotal(tx, lot));
      if (input.quantity > free)
        fail(
          invalidInput(
            'quantity',
            `${input.quantity} ${lot.unitOfMeasure} exceeds the ${free} ${lot.unitOfMeasure} of lot ${lot.lotNumber} not yet in sublots.`,
          ),
        );
      const sublot = tx.create(MaterialSublot, {
        sublotNumber: input.sublotNumber,
        lot,
        quantity: input.quantity,
        status: input.status ?? lot.status,
        location: input.location ? await placeAt(tx, principal, 'location', input.location) : (lot.location ?? null),
      });
      work.changed('MaterialSublotCreated', sublot, input.sublotNumber);
      return sublot;
    });
  }

  /** The material class a definition names in its input. */
  private classOf(tx: Tx, code: string) {
    return this.classes.reference(tx, 'materialClass', code);
  }
}

async function sublotTotal(tx: Tx, lot: MaterialLot): Promise<number> {
  const sublots = await tx.find(MaterialSublot, { lot }, { fields: ['quantity'] });
  return sublots.reduce((sum, s) => sum + s.quantity, 0);
}
