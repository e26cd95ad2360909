import { RESUME_CURSOR } from '../shared/resume-cursor.js';
import { Alert, AlertSeverity, AlertState, Connection, InvalidInput, NotFound, Permission } from '@plantgraph/schema';
import { createUnionType, Extensions, Field, ID, Int, ObjectType } from 'type-graphql';

export const AlertConnection = Connection(Alert);
export const AlertResult = createUnionType({
  name: 'AlertResult',
  types: () => [Alert, NotFound, InvalidInput] as const,
});

@ObjectType({ description: 'An alert raised or escalated, as delivered to subscribers.' })
@Extensions({ allow: [Permission.Read] })
export class AlertEvent {
  @Field({ description: 'AlertRaised or AlertEscalated.' }) type!: string;
  @Field(() => ID) id!: string;
  @Field() path!: string;
  @Field(() => AlertSeverity) severity!: AlertSeverity;
  @Field() title!: string;
  @Field(() => AlertState) state!: AlertState;
  @Field(() => Int) escalationLevel!: number;
  @Field(() => Int) occurrences!: number;
  @Field() at!: Date;
  @Field() actor!: string;
  @Field(() => String, { nullable: true, description: RESUME_CURSOR }) cursor!: string | null;
}
