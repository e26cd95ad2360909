import type { EntityClass, FilterQuery, RequiredEntityData } from '@mikro-orm/core';
import { Permission, type PropertyDefinition, type PropertyValue } from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { paginate, type PageRequest } from '../../core/paging.js';
import { checkKey } from '../../core/keys.js';
import { requireMembersStillFit, requireValidDefinitions } from '../shared/properties.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import type { Principal } from '../../core/principal.js';
import { requireEnterpriseWide, sharedVisible } from '../../core/visibility.js';
import { duplicateKey, fail, notFound, unknownReference } from '../../core/failures.js';

/**
 * What the ISA-95 classes of resources share (equipment, material and personnel classes): a code,
 * a description and the typed properties their members carry. They are master data of the whole
 * enterprise, so changing them needs an enterprise-wide grant and every reader sees them.
 */
export interface ResourceClass {
  id: string;
  code: string;
  description?: string | null;
  properties: PropertyDefinition[];
}

export interface CreateResourceClassInput {
  code: string;
  description?: string | null;
  properties: PropertyDefinition[];
}

/** Fields left out are kept. */
export interface UpdateResourceClassInput {
  description?: string | null;
  properties?: PropertyDefinition[] | null;
}

/** A member of a class, by its business key, with the property values it holds. */
export interface ClassMember {
  key: string;
  properties: PropertyValue[];
}

/** What one kind of class adds to the shared behaviour. */
export interface ResourceClassKind<
  C extends ResourceClass,
  CI extends CreateResourceClassInput,
  UI extends UpdateResourceClassInput,
> {
  entity: EntityClass<C>;
  /** As messages name it, e.g. `material class`. */
  name: string;
  /** Past-tense event types of its changes. */
  events: { created: string; updated: string };
  /**
   * The members holding values of the class's properties, which a new declaration must keep
   * fitting; `name` names them in the message. Absent where members hold no values (people).
   */
  members?: { name: string; of(tx: Tx, cls: C): Promise<ClassMember[]> };
  /** Checks the kind's own fields of a new class and returns them as stored. */
  ownFieldsOnCreate?(input: CI): Partial<C>;
  /** Checks the kind's own fields given in an update and returns those to change. */
  ownFieldsOnUpdate?(input: UI): Partial<C>;
}

/** Reading and changing the classes of one kind of resource. */
export class ResourceClassService<
  C extends ResourceClass,
  CI extends CreateResourceClassInput,
  UI extends UpdateResourceClassInput,
> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly kind: ResourceClassKind<C, CI, UI>,
  ) {}

  get(em: Tx, principal: Principal, code: string): Promise<C | null> {
    return em.findOne(this.kind.entity, { $and: [byCode<C>(code), sharedVisible(principal)] } as FilterQuery<C>);
  }

  /** Ordered by code. */
  list(em: Tx, principal: Principal, page: PageRequest) {
    return paginate(em, this.kind.entity, sharedVisible(principal) as FilterQuery<C>, page, 'code');
  }

  create(principal: Principal, input: CI) {
    const { entity, name, events } = this.kind;
    return this.uow.run(principal.name, async (work) => {
      requireEnterpriseWide(principal, Permission.ManageMasterData);
      checkKey('code', input.code);
      requireValidDefinitions(input.properties);
      const own = this.kind.ownFieldsOnCreate?.(input) ?? {};
      if (await work.tx.count(entity, byCode<C>(input.code))) fail(duplicateKey(name, input.code));
      const fields = { code: input.code, description: input.description ?? null, properties: input.properties, ...own };
      const cls = work.tx.create(entity, fields as RequiredEntityData<C>);
      work.changed(events.created, cls, input.code);
      return cls;
    });
  }

  update(principal: Principal, code: string, input: UI) {
    const { entity, name, events, members } = this.kind;
    return this.uow.run(principal.name, async (work) => {
      requireEnterpriseWide(principal, Permission.ManageMasterData);
      const cls = (await work.tx.findOne(entity, byCode<C>(code))) ?? fail(notFound(name, code));
      const before = snapshot(cls);
      if (input.description !== undefined) cls.description = input.description;
      Object.assign(cls, this.kind.ownFieldsOnUpdate?.(input));
      if (input.properties) {
        requireValidDefinitions(input.properties);
        if (members) requireMembersStillFit(input.properties, await members.of(work.tx, cls), members.name);
        cls.properties = input.properties;
      }
      work.changed(events.updated, cls, code, before);
      return cls;
    });
  }

  /** The class that input `field` of a member names by `code`, inside a command. */
  async reference(tx: Tx, field: string, code: string): Promise<C> {
    const { entity, name } = this.kind;
    return (await tx.findOne(entity, byCode<C>(code))) ?? fail(unknownReference(field, name, code));
  }

  /** The classes that input `field` of a member names by `codes`, each of which must exist. */
  async references(tx: Tx, field: string, codes: string[]): Promise<C[]> {
    const { entity, name } = this.kind;
    const found = await tx.find(entity, byCode<C>({ $in: codes }));
    const missing = codes.find((c) => !found.some((f) => f.code === c));
    if (missing) fail(unknownReference(field, name, missing));
    return found;
  }
}

/** A filter on the business key, which every class has (the generic entity type cannot show it). */
const byCode = <C>(code: string | { $in: string[] }) => ({ code }) as unknown as FilterQuery<C>;
