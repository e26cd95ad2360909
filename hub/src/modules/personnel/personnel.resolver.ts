import {
  CreatePersonInput,
  CreatePersonnelClassInput,
  Equipment,
  Person,
  PersonFilter,
  PersonnelClass,
  PersonnelClassResult,
  PersonResult,
  Qualification,
  RecordQualificationInput,
  UpdatePersonInput,
  UpdatePersonnelClassInput,
  Permission,
} from '@plantgraph/schema';
import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { PageArgs } from '../../graphql/pagination.js';
import { PersonConnection, PersonnelClassConnection } from './personnel.types.js';

@Resolver(() => PersonnelClass)
export class PersonnelClassResolver {
  @Query(() => PersonnelClass, { nullable: true })
  @Allow(Permission.Read)
  personnelClass(@Arg('code') code: string, @Ctx() ctx: HubContext) {
    return ctx.services.personnelClass.get(ctx.em, ctx.principal, code);
  }

  @Query(() => PersonnelClassConnection, { description: 'Personnel classes ordered by code.' })
  @Allow(Permission.Read)
  personnelClasses(@Args() page: PageArgs, @Ctx() ctx: HubContext) {
    return ctx.services.personnelClass.list(ctx.em, ctx.principal, page);
  }

  @Mutation(() => PersonnelClassResult)
  @Allow(Permission.ManageMasterData)
  createPersonnelClass(@Arg('input') input: CreatePersonnelClassInput, @Ctx() ctx: HubContext) {
    return ctx.services.personnelClass.create(ctx.principal, input);
  }

  @Mutation(() => PersonnelClassResult)
  @Allow(Permission.ManageMasterData)
  updatePersonnelClass(
    @Arg('code') code: string,
    @Arg('input') input: UpdatePersonnelClassInput,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.personnelClass.update(ctx.principal, code, input);
  }
}

@Resolver(() => Person)
export class PersonResolver {
  @Query(() => Person, { nullable: true })
  @Allow(Permission.Read)
  person(@Arg('employeeId') employeeId: string, @Ctx() ctx: HubContext) {
    return ctx.services.personnel.getPerson(ctx.em, ctx.principal, employeeId);
  }

  @Query(() => PersonConnection, { description: 'People ordered by employee id.' })
  @Allow(Permission.Read)
  persons(
    @Arg('filter', () => PersonFilter, { nullable: true }) filter: PersonFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.services.personnel.listPersons(ctx.em, ctx.principal, filter, page);
  }

  @FieldResolver(() => [PersonnelClass])
  personnelClasses(@Root() person: Person, @Ctx() ctx: HubContext) {
    return ctx.loaders.personnelClassesOfPerson.load(person.id);
  }

  @FieldResolver(() => [Qualification], { description: 'Training records, current or expired.' })
  qualifications(@Root() person: Person, @Ctx() ctx: HubContext) {
    return ctx.loaders.qualificationsOfPerson.load(person.id);
  }

  @FieldResolver(() => Equipment, { nullable: true, description: 'The site, area or line the person belongs to.' })
  homeEquipment(@Root() person: Person, @Ctx() ctx: HubContext) {
    return person.homeEquipment ? ctx.loaders.equipment.load(person.homeEquipment.id) : null;
  }

  @Mutation(() => PersonResult, {
    description:
      'Creates a person; employee ids are unique across the installation. An id that is taken, even by a record outside your scopes, fails with DuplicateKey: the same answer whoever asks, naming nothing but the number.',
  })
  @Allow(Permission.ManageMasterData)
  createPerson(@Arg('input') input: CreatePersonInput, @Ctx() ctx: HubContext) {
    return ctx.services.personnel.createPerson(ctx.principal, input);
  }

  @Mutation(() => PersonResult)
  @Allow(Permission.ManageMasterData)
  updatePerson(@Arg('employeeId') employeeId: string, @Arg('input') input: UpdatePersonInput, @Ctx() ctx: HubContext) {
    return ctx.services.personnel.updatePerson(ctx.principal, employeeId, input);
  }

  @Mutation(() => PersonResult, { description: 'Records a training; returns the person with all records.' })
  @Allow(Permission.ManageMasterData)
  recordQualification(@Arg('input') input: RecordQualificationInput, @Ctx() ctx: HubContext) {
    return ctx.services.personnel.recordQualification(ctx.principal, input);
  }
}
