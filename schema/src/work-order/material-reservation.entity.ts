import { DecimalType } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Identified } from '../common/identified.js';
import { MaterialLot } from '../material/material.entities.js';
import { WorkOrder } from './work-order.entities.js';

export enum ReservationStatus {
  /** Held for the order. */
  Reserved = 'Reserved',
  /** Used up by the order's steps. */
  Consumed = 'Consumed',
  /** Given back (cancel, or not used at completion). */
  Returned = 'Returned',
}
registerEnumType(ReservationStatus, { name: 'ReservationStatus' });

/** A quantity of a lot held for one segment of a released order. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
@Entity()
@Index({ properties: ['lot', 'status'] })
@Index({ properties: ['workOrder'] })
export class MaterialReservation extends Identified<'consumedQuantity' | 'status'> {
  @ManyToOne(() => WorkOrder, { deleteRule: 'cascade' }) workOrder!: WorkOrder;
  @Field({ description: 'Code of the segment (step) the material is for.' }) @Property() segment!: string;
  @ManyToOne(() => MaterialLot, { deleteRule: 'restrict' }) lot!: MaterialLot;
  @Field() @Property({ type: new DecimalType('number'), precision: 18, scale: 6 }) quantity!: number;
  @Field() @Property({ type: new DecimalType('number'), precision: 18, scale: 6 }) consumedQuantity: number = 0;
  @Field(() => ReservationStatus) @Enum({ items: () => ReservationStatus }) status: ReservationStatus =
    ReservationStatus.Reserved;
}
