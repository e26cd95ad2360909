import { AuditRecord, Connection, Permission } from '@plantgraph/schema';
import { Extensions, Field, Int, ObjectType } from 'type-graphql';

export const AuditRecordConnection = Connection(AuditRecord);

@ObjectType({ description: 'The result of recomputing the audit hash chain.' })
@Extensions({ allow: [Permission.Read] })
export class AuditChainVerification {
  @Field({ description: 'True when every record links to the one before and matches its hash.' }) valid!: boolean;
  @Field(() => Int) checked!: number;
  @Field(() => String, { nullable: true, description: 'The first record that does not verify.' }) firstBrokenId!:
    | string
    | null;
  @Field(() => String, { nullable: true }) problem!: string | null;
}
