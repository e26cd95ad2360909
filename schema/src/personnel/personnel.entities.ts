import { Collection } from '@mikro-orm/core';
import { Entity, Index, ManyToMany, ManyToOne, OneToMany, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, ObjectType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Identified } from '../common/identified.js';
import { PropertyDefinition } from '../common/properties.js';
import { Equipment } from '../equipment/equipment.entity.js';

/** A role people hold on the floor (e.g. `operator`, `qa-inspector`). */
@ObjectType()
@Entity()
@Extensions({ allow: [Permission.Read] })
export class PersonnelClass extends Identified<'properties'> {
  @Field() @Property({ unique: true }) code!: string;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) description?: string | null;
  @Field(() => [PropertyDefinition]) @Property({ type: 'json' }) properties: PropertyDefinition[] = [];
}

/** A person who may be assigned to work, with their classes and training records. */
@ObjectType()
@Entity()
@Extensions({ allow: [Permission.Read] })
export class Person extends Identified<'active'> {
  @Field({ description: 'The plant’s identifier for the person (badge or HR number).' })
  @Property({ unique: true })
  employeeId!: string;
  @Field() @Property() name!: string;
  @ManyToMany(() => PersonnelClass) personnelClasses = new Collection<PersonnelClass>(this);
  @ManyToOne(() => Equipment, { nullable: true, deleteRule: 'restrict' }) homeEquipment?: Equipment | null;
  @OneToMany(
    () => Qualification,
    (q) => q.person,
  )
  qualifications = new Collection<Qualification>(this);
  @Field({ description: 'False for people who left; their records stay.' }) @Property() active: boolean = true;
}

/** A training record: the person is qualified for `code` from `trainedAt` until `expiresAt`. */
@ObjectType()
@Entity()
@Index({ properties: ['person'] })
@Unique({ properties: ['person', 'code'] })
@Extensions({ allow: [Permission.Read] })
export class Qualification extends Identified<'current'> {
  @ManyToOne(() => Person, { deleteRule: 'cascade' }) person!: Person;
  @Field({ description: 'What the person is qualified for, e.g. `press-setup` or `sterile-fill`.' })
  @Property()
  code!: string;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) description?: string | null;
  @Field() @Property({ type: 'timestamptz' }) trainedAt!: Date;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) expiresAt?: Date | null;

  @Field({ description: 'Whether the qualification is valid now (trained and not expired).' })
  get current(): boolean {
    const now = Date.now();
    return this.trainedAt.getTime() <= now && (!this.expiresAt || this.expiresAt.getTime() > now);
  }
}
