import type { FilterQuery } from '@mikro-orm/core';
import {
  type CreatePersonInput,
  Person,
  type PersonFilter,
  Qualification,
  type RecordQualificationInput,
  type UpdatePersonInput,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import { paginate, type PageRequest } from '../../core/paging.js';
import { checkKey, checkText, underPathOf } from '../../core/keys.js';
import { snapshot, type UnitOfWork } from '../../core/unit-of-work.js';
import type { Principal } from '../../core/principal.js';
import { placeAt, placedVisible, requireManageablePlace } from '../../core/visibility.js';
import type { PersonnelClassService } from './personnel-class.js';
import { keyTaken, fail, invalidInput, notFound } from '../../core/failures.js';

/** People and their training records; personnel classes are `PersonnelClassService`. */
export class PersonnelService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly classes: PersonnelClassService,
  ) {}

  getPerson(em: Tx, principal: Principal, employeeId: string) {
    return em.findOne(Person, { $and: [{ employeeId }, placedVisible(principal, 'homeEquipment')] });
  }

  listPersons(em: Tx, principal: Principal, filter: PersonFilter | null | undefined, page: PageRequest) {
    const where: FilterQuery<Person>[] = [placedVisible(principal, 'homeEquipment') as FilterQuery<Person>];
    if (filter?.personnelClass) where.push({ personnelClasses: { code: filter.personnelClass } });
    if (filter?.homePrefix) where.push({ homeEquipment: underPathOf(filter.homePrefix) });
    if (filter?.active != null) where.push({ active: filter.active });
    if (filter?.qualifiedFor) {
      const now = new Date();
      where.push({
        qualifications: {
          code: filter.qualifiedFor,
          trainedAt: { $lte: now },
          $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }],
        },
      });
    }
    return paginate(em, Person, { $and: where }, page, 'employeeId');
  }

  createPerson(principal: Principal, input: CreatePersonInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkKey('employeeId', input.employeeId);
      checkText('name', input.name);
      if (await tx.count(Person, { employeeId: input.employeeId })) fail(keyTaken('employee id', input.employeeId));
      const person = tx.create(Person, {
        employeeId: input.employeeId,
        name: input.name.trim(),
        homeEquipment: await placeAt(tx, principal, 'homeEquipment', input.homeEquipment),
      });
      person.personnelClasses.set(await this.classes.references(tx, 'personnelClasses', input.personnelClasses));
      work.changed('PersonCreated', person, input.employeeId);
      return person;
    });
  }

  updatePerson(principal: Principal, employeeId: string, input: UpdatePersonInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      const person = await findPerson(tx, principal, employeeId, ['personnelClasses']);
      const before = snapshot(person);
      if (input.name != null) {
        checkText('name', input.name);
        person.name = input.name.trim();
      }
      if (input.personnelClasses) {
        person.personnelClasses.set(await this.classes.references(tx, 'personnelClasses', input.personnelClasses));
      }
      if (input.homeEquipment != null)
        person.homeEquipment = await placeAt(tx, principal, 'homeEquipment', input.homeEquipment || null);
      if (input.active != null) person.active = input.active;
      work.changed('PersonUpdated', person, employeeId, before);
      return person;
    });
  }

  recordQualification(principal: Principal, input: RecordQualificationInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkKey('code', input.code);
      if (input.expiresAt && input.expiresAt <= input.trainedAt)
        fail(invalidInput('expiresAt', 'must be after trainedAt.'));
      if (input.trainedAt.getTime() > Date.now() + 86_400_000)
        fail(invalidInput('trainedAt', 'lies in the future; record training once it has happened.'));
      const person = await findPerson(tx, principal, input.employeeId);
      const existing = await tx.findOne(Qualification, { person, code: input.code });
      const before = existing ? snapshot(existing) : undefined;
      const record = existing ?? tx.create(Qualification, { person, code: input.code, trainedAt: input.trainedAt });
      Object.assign(record, {
        description: input.description ?? null,
        trainedAt: input.trainedAt,
        expiresAt: input.expiresAt ?? null,
      });
      work.changed('QualificationRecorded', record, `${input.employeeId}/${input.code}`, before);
      await tx.flush();
      return person;
    });
  }
}

/** A person the caller may see and manage (at their home equipment, or enterprise-wide). */
async function findPerson(
  tx: Tx,
  principal: Principal,
  employeeId: string,
  populate: 'personnelClasses'[] = [],
): Promise<Person> {
  const hidden = () => notFound('person', employeeId);
  const person =
    (await tx.findOne(
      Person,
      { $and: [{ employeeId }, placedVisible(principal, 'homeEquipment')] },
      { populate: [...populate, 'homeEquipment'] },
    )) ?? fail(hidden());
  requireManageablePlace(principal, person.homeEquipment, hidden);
  return person;
}
