import { type GraphQLSchema, printSchema } from 'graphql';
import { buildSchema, type PubSub } from 'type-graphql';
import type { MessageBus } from '../infrastructure/bus/message-bus.js';
import { EquipmentResolver, EquipmentStateChangeResolver } from '../modules/equipment/equipment.resolver.js';
import { EquipmentClassResolver } from '../modules/equipment/equipment-class.resolver.js';
import {
  EquipmentConditionRecordResolver,
  EquipmentConditionResolver,
} from '../modules/equipment/equipment-condition.resolver.js';
import {
  MaterialClassResolver,
  MaterialDefinitionResolver,
  MaterialLotResolver,
  MaterialSublotResolver,
} from '../modules/material/material.resolver.js';
import { PersonnelClassResolver, PersonResolver } from '../modules/personnel/personnel.resolver.js';
import {
  ProductDefinitionResolver,
  ProductDefinitionVersionResolver,
} from '../modules/product-definition/product-definition.resolver.js';
import { MaterialReservationResolver, WorkOrderResolver } from '../modules/work-order/work-order.resolver.js';
import {
  DeviationResolver,
  GenealogyResolver,
  StepRecordResolver,
  WorkOrderExecutionResolver,
} from '../modules/work-order/execution.resolver.js';
import { LotDeviationResolver, NonconformanceResolver } from '../modules/work-order/deviation.resolver.js';
import { ApiKeyResolver } from '../auth/api-key.resolver.js';
import { OpcuaUserCertificateResolver } from '../auth/opcua-certificate.resolver.js';
import { IndustryProfileResolver, MaintenanceOrderResolver } from '../modules/equipment/maintenance-order.resolver.js';
import {
  AffectedOrderResolver,
  EngineeringChangeOrderResolver,
  RedlineResolver,
} from '../modules/product-definition/redline.resolver.js';
import { CampaignBatchResolver, CampaignResolver } from '../modules/work-order/campaign.resolver.js';
import { AuditResolver } from '../modules/audit/audit.resolver.js';
import { BatchRecordResolver } from '../modules/batch-record/batch-record.resolver.js';
import { AlertResolver } from '../modules/alert/alert.resolver.js';
import { OeeResolver } from '../modules/oee/oee.resolver.js';
import {
  PlannedDowntimeResolver,
  ScheduleEntryResolver,
  SchedulingResolver,
} from '../modules/scheduling/scheduling.resolver.js';
import { SchedulingResourcesResolver } from '../modules/scheduling/scheduling-resources.resolver.js';
import { SignalResolver } from '../modules/signals/signals.resolver.js';
import { FlowsResolver } from '../modules/flows/flows.resolver.js';
import { ConnectorResolver } from '../modules/connector/connector.resolver.js';
import { guardFields } from './guard.js';

export const resolvers = [
  EquipmentResolver,
  EquipmentStateChangeResolver,
  EquipmentConditionResolver,
  EquipmentConditionRecordResolver,
  EquipmentClassResolver,
  MaterialClassResolver,
  MaterialDefinitionResolver,
  MaterialLotResolver,
  MaterialSublotResolver,
  PersonnelClassResolver,
  PersonResolver,
  ProductDefinitionResolver,
  ProductDefinitionVersionResolver,
  WorkOrderResolver,
  MaterialReservationResolver,
  WorkOrderExecutionResolver,
  StepRecordResolver,
  DeviationResolver,
  GenealogyResolver,
  NonconformanceResolver,
  LotDeviationResolver,
  ApiKeyResolver,
  OpcuaUserCertificateResolver,
  AuditResolver,
  BatchRecordResolver,
  AlertResolver,
  OeeResolver,
  SchedulingResolver,
  ScheduleEntryResolver,
  PlannedDowntimeResolver,
  SchedulingResourcesResolver,
  SignalResolver,
  FlowsResolver,
  ConnectorResolver,
  MaintenanceOrderResolver,
  IndustryProfileResolver,
  RedlineResolver,
  AffectedOrderResolver,
  EngineeringChangeOrderResolver,
  CampaignResolver,
  CampaignBatchResolver,
] as const;

/**
 * The hub's GraphQL schema; `schema/schema.graphql` is this, printed. `check` runs type-graphql's
 * own check, a whole introspection query over the new schema: about two thirds of the build's CPU
 * (0.1-0.2 s of a start). The hub skips it (`graphql` validates the schema at the first operation
 * anyway); the `schema` command and the schema's test run it.
 */
export async function buildHubSchema(bus: MessageBus, { check = false } = {}): Promise<GraphQLSchema> {
  return guardFields(await buildSchema({ resolvers, validate: false, skipCheck: !check, pubSub: busPubSub(bus) }));
}

/** type-graphql's topic-based subscriptions, carried by the bus (topics are subjects). */
function busPubSub(bus: MessageBus): PubSub {
  return {
    publish: (subject: string, payload: unknown) => void bus.publish(subject, payload),
    subscribe: (subject: string) => {
      const subscription = bus.subscribe([subject]);
      return {
        [Symbol.asyncIterator]: () => ({
          next: async () => {
            const r = await subscription.next();
            return r.done ? r : { done: false, value: r.value.data };
          },
          return: async () => {
            subscription.close();
            return { done: true, value: undefined };
          },
        }),
      };
    },
  };
}

/** The schema as SDL, as written to `schema/schema.graphql`. */
export async function printHubSchema(bus: MessageBus): Promise<string> {
  return printSchema(await buildHubSchema(bus, { check: true }));
}
