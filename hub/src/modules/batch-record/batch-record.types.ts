import { InvalidInput, NotFound, Permission } from '@plantgraph/schema';
import { createUnionType, Extensions, Field, ObjectType } from 'type-graphql';

@ObjectType({
  description: "An order's executed batch record, rendered as PDF; each rendering is audited with its hash.",
})
@Extensions({ allow: [Permission.Read] })
export class BatchRecordDocument {
  @Field() number!: string;
  @Field({
    description:
      'SHA-256 of the canonical record content (not of the PDF bytes), printed on every page; verify it with `verifyBatchRecord`.',
  })
  sha256!: string;
  @Field() renderedAt!: Date;
  @Field({ description: 'e.g. `batch-record-WO-1001.pdf`.' }) fileName!: string;
  @Field({ description: 'Always `application/pdf`.' }) contentType!: string;
  @Field({ description: 'The PDF, base64-encoded.' }) pdfBase64!: string;
}

@ObjectType({ description: 'Whether a batch record hash is one the hub issued for the record as it still stands.' })
@Extensions({ allow: [Permission.Read] })
export class BatchRecordVerification {
  @Field() number!: string;
  @Field() sha256!: string;
  @Field({ description: 'A rendering with this hash is in the audit trail, and the record still hashes to it.' })
  valid!: boolean;
  @Field({ description: 'The hash of the record as the hub holds it now.' }) currentSha256!: string;
  @Field(() => Date, { nullable: true }) renderedAt!: Date | null;
  @Field(() => String, { nullable: true }) renderedBy!: string | null;
  @Field() message!: string;
}

export const BatchRecordResult = createUnionType({
  name: 'BatchRecordResult',
  types: () => [BatchRecordDocument, NotFound, InvalidInput] as const,
});
export const BatchRecordVerificationResult = createUnionType({
  name: 'BatchRecordVerificationResult',
  types: () => [BatchRecordVerification, NotFound, InvalidInput] as const,
});
