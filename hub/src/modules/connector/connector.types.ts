import { RESUME_CURSOR } from '../shared/resume-cursor.js';
import {
  Connection,
  ConnectorDelivery,
  ConnectorImport,
  ConnectorInstance,
  InvalidInput,
  NotFound,
  Permission,
  UnknownReference,
} from '@plantgraph/schema';
import { createUnionType, Extensions, Field, ID, Int, ObjectType } from 'type-graphql';

export const ConnectorConnection = Connection(ConnectorInstance);
export const ConnectorDeliveryConnection = Connection(ConnectorDelivery);
export const ConnectorImportConnection = Connection(ConnectorImport);

export const ConnectorResult = createUnionType({
  name: 'ConnectorResult',
  types: () => [ConnectorInstance, NotFound, UnknownReference, InvalidInput] as const,
});
export const ConnectorDeliveryResult = createUnionType({
  name: 'ConnectorDeliveryResult',
  types: () => [ConnectorDelivery, NotFound, InvalidInput] as const,
});
export const ConnectorImportResult = createUnionType({
  name: 'ConnectorImportResult',
  types: () => [ConnectorImport, NotFound, InvalidInput] as const,
});

@ObjectType({ description: 'Dead letters queued again with their keys.' })
@Extensions({ allow: [Permission.Read] })
export class ReplayedDeliveries {
  @Field(() => Int) count!: number;
  @Field(() => [ConnectorDelivery]) deliveries!: ConnectorDelivery[];
}
export const ReplayRangeResult = createUnionType({
  name: 'ReplayRangeResult',
  types: () => [ReplayedDeliveries, NotFound, InvalidInput] as const,
});

@ObjectType({ description: "Jobs of a connector's queues, by state." })
@Extensions({ allow: [Permission.Read] })
export class ConnectorQueueCounts {
  @Field(() => Int) waiting!: number;
  @Field(() => Int) active!: number;
  @Field(() => Int) delayed!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int) completed!: number;
}

@ObjectType({ description: 'A setting a connector type takes.' })
@Extensions({ allow: [Permission.Read] })
export class ConnectorSettingInfo {
  @Field() name!: string;
  @Field({ description: 'string, number, boolean or json.' }) type!: string;
  @Field() description!: string;
  @Field() required!: boolean;
  @Field({ description: 'Write-only: stored encrypted, never shown.' }) secret!: boolean;
}

@ObjectType({ description: 'A connector type this hub can run.' })
@Extensions({ allow: [Permission.Read] })
export class ConnectorType {
  @Field() type!: string;
  @Field() title!: string;
  @Field(() => [ConnectorSettingInfo]) settings!: ConnectorSettingInfo[];
}

@ObjectType({ description: 'A connector, one of its deliveries or imports changed.' })
@Extensions({ allow: [Permission.Read] })
export class ConnectorEvent {
  @Field({ description: 'e.g. ConnectorConfigured, ConnectorDeliveryDelivered, ConnectorDeliveryDeadLettered.' })
  type!: string;
  @Field() connector!: string;
  @Field({ description: "The connector's scope." }) path!: string;
  @Field(() => ID, { nullable: true, description: 'The delivery or import, when one changed.' }) id!: string | null;
  @Field(() => String, { nullable: true }) state!: string | null;
  @Field() at!: Date;
  @Field() actor!: string;
  @Field(() => String, { nullable: true, description: RESUME_CURSOR }) cursor!: string | null;
}

@ObjectType({ description: "A node of a connector's external address space (an OPC UA server's), to map by name." })
@Extensions({ allow: [Permission.ManageConnectors] })
export class ConnectorNode {
  @Field({ description: 'The id to map or browse further, e.g. ns=2;s=Press1.State.' }) nodeId!: string;
  @Field({ description: 'Qualified by its namespace index, e.g. 2:State.' }) browseName!: string;
  @Field() displayName!: string;
  @Field({ description: 'e.g. Object, Variable, Method.' }) nodeClass!: string;
  @Field(() => String, { nullable: true, description: "A variable's data type by name." }) dataType!: string | null;
}

@ObjectType({ description: 'The children of the node browsed.' })
@Extensions({ allow: [Permission.ManageConnectors] })
export class ConnectorNodes {
  @Field(() => [ConnectorNode]) nodes!: ConnectorNode[];
}
export const BrowseConnectorResult = createUnionType({
  name: 'BrowseConnectorResult',
  types: () => [ConnectorNodes, NotFound, InvalidInput] as const,
});

@ObjectType({ description: "One open connection of a connector's stream (e.g. an OPC UA endpoint)." })
@Extensions({ allow: [Permission.Read] })
export class ConnectorStreamHealth {
  @Field() stream!: string;
  @Field({ description: 'What it is connected to, e.g. the endpoint URL.' }) endpoint!: string;
  @Field() connected!: boolean;
  @Field(() => Date, { nullable: true, description: 'When the last value came from the external system.' })
  lastValueAt!: Date | null;
  @Field(() => Int, { description: 'Items the external system reports bad (wrong node id, bad status).' })
  itemsBad!: number;
  @Field(() => Int) items!: number;
  @Field(() => Int, { description: 'Values waiting for the hub (store and forward).' }) buffered!: number;
  @Field(() => Int, { description: 'Values given up since the stream opened: the buffer was full.' })
  dropped!: number;
  @Field(() => String, { nullable: true }) detail!: string | null;
}
