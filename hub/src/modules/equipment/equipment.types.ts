import { RESUME_CURSOR } from '../shared/resume-cursor.js';
import {
  Connection,
  Equipment,
  EquipmentClass,
  EquipmentCondition,
  EquipmentStateChange,
  Permission,
} from '@plantgraph/schema';
import { Extensions, Field, ObjectType } from 'type-graphql';

/** The equipment model's pages, as the API serves them. */
export const EquipmentClassConnection = Connection(EquipmentClass);
export const EquipmentConnection = Connection(Equipment);
export const EquipmentStateChangeConnection = Connection(EquipmentStateChange);

/** A change of an equipment's maintenance or calibration condition, as delivered to subscribers. */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
export class EquipmentConditionEvent {
  @Field({
    description:
      'EquipmentConditionRecorded, EquipmentConditionUpdated, EquipmentConditionCleared or EquipmentCalibrationOverdue.',
  })
  type!: string;
  @Field() path!: string;
  @Field(() => EquipmentCondition, { description: "The equipment's condition after the change." })
  condition!: EquipmentCondition;
  @Field(() => EquipmentCondition) previousCondition!: EquipmentCondition;
  @Field({ description: 'Whether the condition holds the interlock (release and step start refuse the equipment).' })
  blocking!: boolean;
  @Field(() => String, { nullable: true, description: 'Id of the maintenance or calibration record.' })
  recordId!: string | null;
  @Field(() => String, { nullable: true, description: 'The reason recorded, or the clearance.' })
  reason!: string | null;
  @Field() at!: Date;
  @Field({ description: 'Who changed it: a person, a connector, or `system:equipment-conditions`.' }) actor!: string;
  @Field(() => String, { nullable: true, description: RESUME_CURSOR }) cursor!: string | null;
}
