import { GraphQLJSON } from 'graphql-scalars';
import { Field, InputType } from 'type-graphql';
import { Grant } from '../auth/api-key.entity.js';
import { DeliveryState, ImportOutcomeKind } from './connector.entities.js';

@InputType({
  description:
    'Creates a connector instance or changes its settings. Secrets are write-only: a secret left out keeps its stored value, null clears it.',
})
export class ConfigureConnectorInput {
  @Field({ description: 'Unique name, 1-64 lower-case letters, digits or "-"; cannot change later.' }) name!: string;
  @Field({ description: 'The connector type, e.g. `sap-s4hana` (see `connectorTypes`).' }) type!: string;
  @Field({ description: 'Equipment path (or `*`) it serves.' }) scope!: string;
  @Field(() => GraphQLJSON, { description: 'Settings by name, secrets included (they are stored encrypted).' })
  settings!: Record<string, unknown>;
  @Field(() => [Grant], {
    description: 'What the connector may do as its own principal; each within `scope` and within your own grants.',
  })
  grants!: Grant[];
  @Field(() => Boolean, { nullable: true, description: 'Default: unchanged (new instances start disabled).' })
  enabled?: boolean | null;
}

@InputType()
export class DeliveryFilter {
  @Field(() => [DeliveryState], { nullable: true }) state?: DeliveryState[];
  @Field(() => String, { nullable: true, description: 'Event type, e.g. `WorkOrderCompleted`.' }) eventType?:
    | string
    | null;
  @Field(() => String, { nullable: true, description: 'The record the event is about, e.g. a work order number.' })
  eventKey?: string | null;
}

@InputType({ description: 'Dead letters of one connector created in a time range, to run again with their keys.' })
export class ReplayRangeInput {
  @Field() connector!: string;
  @Field() from!: Date;
  @Field() to!: Date;
}

@InputType()
export class ImportFilter {
  @Field(() => [ImportOutcomeKind], { nullable: true }) outcome?: ImportOutcomeKind[];
}
