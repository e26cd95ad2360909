import { DecimalType } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Identified } from '../common/identified.js';
import { PropertyDefinition, PropertyValue } from '../common/properties.js';
import { Equipment } from '../equipment/equipment.entity.js';

/** Disposition of a lot or sublot: whether it may be used in production. */
export enum MaterialLotStatus {
  Quarantine = 'Quarantine',
  Released = 'Released',
  OnHold = 'OnHold',
  Rejected = 'Rejected',
  Consumed = 'Consumed',
}
registerEnumType(MaterialLotStatus, { name: 'MaterialLotStatus' });

const quantity = () => ({ type: new DecimalType('number'), precision: 18, scale: 6 });

/** A grouping of material definitions sharing properties (e.g. `resin`, `fastener`). */
@ObjectType()
@Entity()
@Extensions({ allow: [Permission.Read] })
export class MaterialClass extends Identified<'properties'> {
  @Field() @Property({ unique: true }) code!: string;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) description?: string | null;
  @Field(() => [PropertyDefinition]) @Property({ type: 'json' }) properties: PropertyDefinition[] = [];
}

/** A material the plant uses or makes (an item / part number). */
@ObjectType()
@Entity()
@Extensions({ allow: [Permission.Read] })
export class MaterialDefinition extends Identified<'properties'> {
  @Field() @Property({ unique: true }) code!: string;
  @Field() @Property() name!: string;
  @ManyToOne(() => MaterialClass, { nullable: true, deleteRule: 'restrict' }) materialClass?: MaterialClass | null;
  @Field() @Property() unitOfMeasure!: string;
  @Field(() => [PropertyValue]) @Property({ type: 'json' }) properties: PropertyValue[] = [];
}

/** An identifiable amount of one material definition, with its own status and expiry. */
@ObjectType()
@Entity()
@Index({ properties: ['materialDefinition'] })
@Extensions({ allow: [Permission.Read] })
export class MaterialLot extends Identified<'properties' | 'status'> {
  @Field() @Property({ unique: true }) lotNumber!: string;
  @ManyToOne(() => MaterialDefinition, { deleteRule: 'restrict' }) materialDefinition!: MaterialDefinition;
  @Field() @Property(quantity()) quantity!: number;
  @Field() @Property() unitOfMeasure!: string;
  @Field(() => MaterialLotStatus) @Enum({ items: () => MaterialLotStatus }) status: MaterialLotStatus =
    MaterialLotStatus.Quarantine;
  @Field(() => Date, { nullable: true }) @Property({ type: 'timestamptz', nullable: true }) expiresAt?: Date | null;
  @ManyToOne(() => Equipment, { nullable: true, deleteRule: 'restrict' }) location?: Equipment | null;
  @Field(() => [PropertyValue]) @Property({ type: 'json' }) properties: PropertyValue[] = [];
  @Field(() => Date, {
    nullable: true,
    description: 'Set at release to stock: from then on its genealogy cannot change.',
  })
  @Property({ type: 'timestamptz', nullable: true })
  genealogyLockedAt?: Date | null;
}

/** A separately stored or tracked part of a lot (a container, a drum, a reel). */
@ObjectType()
@Entity()
@Index({ properties: ['lot'] })
@Extensions({ allow: [Permission.Read] })
export class MaterialSublot extends Identified<'status'> {
  @Field() @Property({ unique: true }) sublotNumber!: string;
  @ManyToOne(() => MaterialLot, { deleteRule: 'cascade' }) lot!: MaterialLot;
  @Field() @Property(quantity()) quantity!: number;
  @Field(() => MaterialLotStatus) @Enum({ items: () => MaterialLotStatus }) status: MaterialLotStatus =
    MaterialLotStatus.Quarantine;
  @ManyToOne(() => Equipment, { nullable: true, deleteRule: 'restrict' }) location?: Equipment | null;
}
