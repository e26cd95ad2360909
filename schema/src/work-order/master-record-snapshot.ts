import { Extensions, Field, Int, ObjectType } from 'type-graphql';
import { Permission } from '../auth/access.js';
import { YieldBracket } from '../product-definition/product-definition.entities.js';
import { ProductSegment } from '../product-definition/product-segment.js';

@ObjectType()
@Extensions({ allow: [Permission.Read] })
export class SnapshotMaterial {
  @Field() code!: string;
  @Field() name!: string;
  @Field() unitOfMeasure!: string;
}

/**
 * The master record as it was when the order was released: every segment, material, parameter
 * and tolerance. It never changes afterwards; execution and reports use it, not the live record.
 */
@ObjectType()
@Extensions({ allow: [Permission.Read] })
export class MasterRecordSnapshot {
  @Field() productDefinition!: string;
  @Field() name!: string;
  @Field(() => Int) version!: number;
  @Field(() => SnapshotMaterial) producedMaterial!: SnapshotMaterial;
  @Field(() => [ProductSegment]) segments!: ProductSegment[];
  @Field(() => YieldBracket, { nullable: true, description: 'Acceptable yield in % of the planned quantity.' })
  yieldBracket?: YieldBracket | null;
  @Field() takenAt!: string;
}
