import { BigIntType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** One change made through the API: who did what to which record, with the values before and after. */
@Entity()
@Index({ properties: ['entityType', 'entityId'] })
export class AuditRecord {
  [OptionalProps]?: 'at';
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true }) id!: string;
  @Property({ type: 'timestamptz' }) at: Date = new Date();
  @Property() actor!: string;
  /** Past-tense action, e.g. `EquipmentCreated`. */
  @Property() action!: string;
  @Property() entityType!: string;
  @Property() entityId!: string;
  @Property({ type: 'json', nullable: true }) before?: unknown;
  @Property({ type: 'json', nullable: true }) after?: unknown;
}
