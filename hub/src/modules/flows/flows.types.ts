import { Permission } from '@plantgraph/schema';
import { Extensions, Field, ID, Int, ObjectType } from 'type-graphql';

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
}
