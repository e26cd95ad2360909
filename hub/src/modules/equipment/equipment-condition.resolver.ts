import {
  BLOCKING_CONDITIONS,
  ClearEquipmentConditionInput,
  conditionAt,
  Equipment,
  EquipmentCondition,
  EquipmentConditionRecord,
  EquipmentConditionResult,
  Permission,
  RecordEquipmentConditionInput,
} from '@plantgraph/schema';
import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import type { HubContext } from '../../graphql/context.js';
import { Allow } from '../../graphql/guard.js';
import { AFTER, openStream, streamOf } from '../../graphql/failures.js';
import { conditionOf, conditionSinceOf, type EquipmentConditionChange } from './equipment-condition.js';
import { EquipmentConditionEvent } from './equipment.types.js';

@Resolver(() => Equipment)
export class EquipmentConditionResolver {
  @FieldResolver(() => EquipmentCondition, {
    description:
      'Whether the equipment may be used, as its maintenance and calibration records say (not its run state; no machine signal changes it).',
  })
  condition(@Root() e: Equipment) {
    return conditionOf(e);
  }

  @FieldResolver(() => Boolean, {
    description: 'Whether the condition holds the interlock: release and step start refuse the equipment.',
  })
  conditionBlocking(@Root() e: Equipment) {
    return BLOCKING_CONDITIONS.has(conditionOf(e));
  }

  @FieldResolver(() => Date, { nullable: true, description: 'When the equipment entered its condition.' })
  conditionSince(@Root() e: Equipment) {
    return conditionSinceOf(e);
  }

  @FieldResolver(() => [EquipmentConditionRecord], {
    description: 'Maintenance and calibration records of the equipment, oldest first: those that hold it, or all.',
  })
  conditionRecords(
    @Root() e: Equipment,
    @Arg('includeCleared', { defaultValue: false }) includeCleared: boolean,
    @Ctx() ctx: HubContext,
  ) {
    return (includeCleared ? ctx.loaders.conditionRecordsOf : ctx.loaders.openConditionRecordsOf).load(e.id);
  }

  @Mutation(() => EquipmentConditionResult, {
    description:
      'Records maintenance or calibration that holds the equipment in a condition (UnderMaintenance and an overdue calibration block release and step start) until an authorised person or connector clears it.',
  })
  @Allow(Permission.MaintainEquipment)
  recordEquipmentCondition(@Arg('input') input: RecordEquipmentConditionInput, @Ctx() ctx: HubContext) {
    return ctx.services.equipmentCondition.record(ctx.principal, input);
  }

  @Mutation(() => EquipmentConditionResult, {
    description: 'Clears a maintenance or calibration record with what was done; clearing it again changes nothing.',
  })
  @Allow(Permission.MaintainEquipment)
  clearEquipmentCondition(@Arg('input') input: ClearEquipmentConditionInput, @Ctx() ctx: HubContext) {
    return ctx.services.equipmentCondition.clear(ctx.principal, input);
  }

  @Subscription(() => EquipmentConditionEvent, {
    description:
      'Each change of the maintenance or calibration condition of the equipment at `scope` (a path prefix) and under it.',
    subscribe: ({ args, context }) => {
      const ctx = context as HubContext;
      return openStream(() =>
        ctx.services.equipmentCondition.subscribeChanges(ctx.principal, args.scope as string, streamOf(ctx, args)),
      );
    },
  })
  @Allow(Permission.Read)
  equipmentConditionChanged(
    @Root() change: EquipmentConditionChange & { cursor?: string },
    @Arg('scope') _scope: string,
    @Arg('after', () => String, { nullable: true, description: AFTER }) _after: string | null,
  ): EquipmentConditionEvent {
    return { ...change, at: new Date(change.at), cursor: change.cursor ?? null };
  }
}

@Resolver(() => EquipmentConditionRecord)
export class EquipmentConditionRecordResolver {
  @FieldResolver(() => EquipmentCondition, {
    description: 'The condition the record holds now (Available once cleared).',
  })
  condition(@Root() r: EquipmentConditionRecord) {
    return r.clearedAt
      ? EquipmentCondition.Available
      : conditionAt({ condition: r.recordedCondition, dueAt: r.dueAt }, new Date());
  }

  @FieldResolver(() => Boolean, { description: 'Whether the record holds the interlock now.' })
  blocking(@Root() r: EquipmentConditionRecord) {
    return (
      !r.clearedAt &&
      BLOCKING_CONDITIONS.has(conditionAt({ condition: r.recordedCondition, dueAt: r.dueAt }, new Date()))
    );
  }

  @FieldResolver(() => Equipment, { nullable: true })
  equipment(@Root() r: EquipmentConditionRecord, @Ctx() ctx: HubContext) {
    return ctx.loaders.equipment.load(r.equipment.id);
  }
}
