import { InvalidInput, NotFound, Permission, ShiftCalendar } from '@plantgraph/schema';
import { createUnionType, Extensions, Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { OeeGrouping } from './oee.service.js';

registerEnumType(OeeGrouping, { name: 'OeeGrouping' });

export const ShiftCalendarResult = createUnionType({
  name: 'ShiftCalendarResult',
  types: () => [ShiftCalendar, NotFound, InvalidInput] as const,
});

@ObjectType()
@Extensions({ allow: [Permission.Read] })
export class DowntimeReason {
  @Field() reason!: string;
  @Field({ description: 'Seconds.' }) seconds!: number;
  @Field(() => Int) occurrences!: number;
}

@ObjectType({ description: 'OEE and its ISO 22400-2 elements for one group; times in seconds (see docs/oee.md).' })
@Extensions({ allow: [Permission.Read] })
export class OeeRow {
  @Field({ description: 'The equipment path, line, area, site, shift ("2026-03-02 Early") or day.' }) group!: string;
  @Field(() => Float, { nullable: true }) oee!: number | null;
  @Field(() => Float, { nullable: true }) availability!: number | null;
  @Field(() => Float, {
    nullable: true,
    description: 'Effectiveness: ideal cycle time × produced / actual production time.',
  })
  performance!: number | null;
  @Field(() => Float, { nullable: true }) quality!: number | null;
  @Field() plannedOperationTime!: number;
  @Field() plannedDowntime!: number;
  @Field() plannedBusyTime!: number;
  @Field() actualProductionTime!: number;
  @Field() actualUnitDownTime!: number;
  @Field() actualUnitDelayTime!: number;
  @Field() microstopTime!: number;
  @Field() noDataTime!: number;
  @Field(() => Int) producedQuantity!: number;
  @Field(() => Int) goodQuantity!: number;
  @Field(() => Int) scrapQuantity!: number;
  @Field(() => Int) reworkQuantity!: number;
  @Field(() => Int) unplannedStops!: number;
  @Field(() => Float, { nullable: true, description: 'Mean time between failures, seconds.' }) mtbf!: number | null;
  @Field(() => Float, { nullable: true, description: 'Mean time to repair, seconds.' }) mttr!: number | null;
  @Field(() => [DowntimeReason]) topDowntimeReasons!: DowntimeReason[];
}

@ObjectType({ description: "A machine's figures for the current shift, published as it reports." })
@Extensions({ allow: [Permission.Read] })
export class OeeUpdate {
  @Field() path!: string;
  @Field() from!: Date;
  @Field() to!: Date;
  @Field(() => String, {
    nullable: true,
    description: 'The shift, e.g. "2026-03-02 Early"; null without a calendar (last 8 hours).',
  })
  shift!: string | null;
  @Field(() => Float, { nullable: true }) oee!: number | null;
  @Field(() => Float, { nullable: true }) availability!: number | null;
  @Field(() => Float, { nullable: true }) performance!: number | null;
  @Field(() => Float, { nullable: true }) quality!: number | null;
  @Field(() => Int) goodQuantity!: number;
  @Field(() => Int) producedQuantity!: number;
}

@ObjectType({
  description:
    "The parts an order's machines counted while it ran (first start to completion, or now), from count signals; " +
    'breaks and planned downtime included, unlike OEE.',
})
@Extensions({ allow: [Permission.Read] })
export class WorkOrderCounts {
  @Field(() => Int) goodQuantity!: number;
  @Field(() => Int) scrapQuantity!: number;
  @Field(() => Int) reworkQuantity!: number;
}

@ObjectType({
  description:
    'What a machine ran and made in a window whatever its shift calendar says (breaks, weekends and planned ' +
    'downtime included, unlike OEE): usage for maintenance meters.',
})
@Extensions({ allow: [Permission.Read] })
export class EquipmentUsage {
  @Field() path!: string;
  @Field(() => Float, { description: 'Seconds in Running (short stops not counted).' }) runningTime!: number;
  @Field(() => Int) producedQuantity!: number;
  @Field(() => Int) goodQuantity!: number;
  @Field(() => Int) scrapQuantity!: number;
  @Field(() => Int) reworkQuantity!: number;
}
