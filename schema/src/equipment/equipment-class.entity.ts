import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { Extensions, Field, ObjectType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { Identified } from '../common/identified.js';
import { PropertyDefinition } from '../common/properties.js';

/** A kind of equipment (e.g. `hydraulic-press`) and the typed properties its members carry. */
@ObjectType()
@Entity()
@Extensions({ allow: [Permission.Read] })
export class EquipmentClass extends Identified<'properties'> {
  @Field()
  @Property({ unique: true })
  code!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Field(() => [PropertyDefinition])
  @Property({ type: 'json' })
  properties: PropertyDefinition[] = [];

  @Field(() => Number, { nullable: true, description: 'Ideal cycle time in seconds, for performance figures.' })
  @Property({ type: 'double', nullable: true })
  idealCycleTimeSeconds?: number | null;
}
