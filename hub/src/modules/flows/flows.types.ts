import { Permission } from '@plantgraph/schema';
import { Extensions, Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An `http in` endpoint of a deploy, under `/flows-http`.' })
@Extensions({ allow: [Permission.Read] })
export class FlowHttpEndpoint {
  @Field({ description: 'GET, POST, PUT, DELETE or PATCH.' }) method!: string;
  @Field({ description: 'The URL as the node has it; served at `/flows-http<path>`.' }) path!: string;
  @Field({
    description:
      'Served without credentials (listed in PLANTGRAPH_FLOWS_PUBLIC_HTTP on this hub); else a hub credential.',
  })
  public!: boolean;
}

@ObjectType({ description: "One deploy of a plant's flows (from the flow editor, or `plantgraph flows import`)." })
@Extensions({ allow: [Permission.Read] })
export class FlowDeployment {
  @Field(() => ID, { description: 'The revision; higher is newer.' }) revision!: string;
  @Field() plant!: string;
  @Field({ description: "Who deployed: the hub principal's name (e.g. `user:alice`, `api-key:ci`, `cli`)." })
  deployedBy!: string;
  @Field() deployedAt!: Date;
  @Field({ description: '`editor` (a deploy in Node-RED) or `cli` (an import).' }) origin!: string;
  @Field(() => Int, { description: 'Nodes in the flows, without tabs, subflow definitions and groups.' })
  nodeCount!: number;
  @Field({ description: 'SHA-256 of the stored flows text.' }) sha256!: string;
  @Field(() => [FlowHttpEndpoint], { description: "The revision's `http in` endpoints, as this hub serves them." })
  httpEndpoints!: FlowHttpEndpoint[];
}
