import type { Database } from './infrastructure/database/database.js';
import type { MessageBus } from './infrastructure/bus/message-bus.js';
import { UnitOfWork } from './core/unit-of-work.js';
import { EventRelay } from './core/event-relay.js';
import { EventFeed } from './core/event-feed.js';
import { EquipmentService } from './modules/equipment/equipment.service.js';
import { equipmentClasses } from './modules/equipment/equipment-class.js';
import { EquipmentConditionService } from './modules/equipment/equipment-condition.js';
import { MaintenanceOrderService } from './modules/equipment/maintenance-order.service.js';
import { IndustryProfileService } from './modules/equipment/industry-profile.js';
import { RedlineService } from './modules/product-definition/redline.service.js';
import { CampaignService } from './modules/work-order/campaign.service.js';
import { materialClasses } from './modules/material/material-class.js';
import { MaterialService } from './modules/material/material.service.js';
import { personnelClasses } from './modules/personnel/personnel-class.js';
import { PersonnelService } from './modules/personnel/personnel.service.js';
import { BatchRecordService } from './modules/batch-record/batch-record.service.js';
import { ResourceClassService } from './modules/resource-class/resource-class.service.js';
import { ProductDefinitionService } from './modules/product-definition/product-definition.service.js';
import { WorkOrderService } from './modules/work-order/work-order.service.js';
import { WorkOrderLifecycleService } from './modules/work-order/work-order-lifecycle.service.js';
import { ApiKeyService } from './auth/api-keys.js';
import { OpcuaUserCertificateService } from './auth/opcua-user-certificates.js';
import { OpcuaApplicationCertificateService } from './auth/opcua-application-certificates.js';
import { Authenticator } from './auth/authenticator.js';
import { SignatureService } from './auth/signatures.js';
import type { AuthConfig } from './config.js';
import { WorkOrderExecutionService } from './modules/work-order/execution.service.js';
import { WorkOrderReviewService } from './modules/work-order/review.service.js';
import { GenealogyService } from './modules/work-order/genealogy.service.js';
import { DeviationService } from './modules/work-order/deviation.service.js';
import { AlertService } from './modules/alert/alert.service.js';
import { OeeService } from './modules/oee/oee.service.js';
import { SchedulingService } from './modules/scheduling/scheduling.service.js';
import { SchedulingPlanService } from './modules/scheduling/scheduling-plan.service.js';
import { SchedulingResourcesService } from './modules/scheduling/scheduling-resources.service.js';
import { LineSequencing } from './modules/scheduling/line-sequencing.js';
import { SignalService } from './modules/signals/signals.service.js';
import { FlowStore } from './modules/flows/storage.js';
import { DEFAULT_FLOW_POLICY, type FlowPolicy } from './modules/flows/flow-policy.js';
import { AuditService } from './modules/audit/audit.service.js';
import type { ConnectorDefinition } from '@plantgraph/connector-sdk';
import { ConnectorService } from './modules/connector/connector.service.js';
import { ConnectorLedger } from './modules/connector/connector-ledger.js';
import { ConnectorRegistry } from './modules/connector/registry.js';
import { SecretBox } from './modules/connector/secrets.js';
import { OutboxDeliveryEvents } from './modules/connector/event-source.js';

/**
 * The domain services of one hub, built once at start and handed to resolvers via the context, with
 * the event relay and feed they write to and subscribe through (started and stopped by `startHub`).
 */
export function createServices(
  db: Database,
  bus: MessageBus,
  auth: AuthConfig,
  alertEscalateAfterSeconds = 300,
  log: Pick<Console, 'log' | 'warn'> = console,
  eventRetentionHours = 24,
  connectors: { definitions?: readonly ConnectorDefinition[]; secret?: string } = {},
  /** What deploys may contain and which flow endpoints are public (`config.flows`). */
  flowPolicy: FlowPolicy = DEFAULT_FLOW_POLICY,
) {
  const feed = new EventFeed(db, bus, log);
  const relay = new EventRelay(db, bus, log, {
    retentionMs: eventRetentionHours * 3600_000,
    // Other writers (replicas, the CLI) exist only on PostgreSQL; the embedded folder has one process.
    sweepMs: bus.kind === 'nats' ? 250 : 5000,
    local: (messages) => feed.deliverLocally(messages),
  });
  const uow = new UnitOfWork(db, bus.subjects, relay);
  const connectorSecrets = new SecretBox(db, connectors.secret);
  const hubEvents = new OutboxDeliveryEvents();
  const registry = new ConnectorRegistry(connectors.definitions);
  const apiKeys = new ApiKeyService(db, uow);
  const authenticator = new Authenticator(auth, apiKeys);
  const signatures = new SignatureService(authenticator);
  const materialClass = new ResourceClassService(uow, materialClasses);
  const personnelClass = new ResourceClassService(uow, personnelClasses);
  const equipmentCondition = new EquipmentConditionService(uow, feed);
  const scheduling = new SchedulingService(uow, feed);
  return {
    uow,
    relay,
    feed,
    equipment: new EquipmentService(uow, feed),
    equipmentCondition,
    maintenanceOrders: new MaintenanceOrderService(uow, equipmentCondition, signatures),
    industryProfiles: new IndustryProfileService(uow),
    equipmentClass: new ResourceClassService(uow, equipmentClasses),
    materialClass,
    material: new MaterialService(uow, materialClass, signatures),
    personnelClass,
    personnel: new PersonnelService(uow, personnelClass),
    productDefinition: new ProductDefinitionService(uow, signatures),
    redlines: new RedlineService(uow, bus.subjects, signatures),
    workOrder: new WorkOrderService(uow, feed),
    workOrderLifecycle: new WorkOrderLifecycleService(uow, bus),
    campaigns: new CampaignService(uow, bus, signatures),
    apiKeys,
    opcuaUserCertificates: new OpcuaUserCertificateService(db, uow),
    opcuaApplicationCertificates: new OpcuaApplicationCertificateService(db, uow),
    authenticator,
    signatures,
    execution: new WorkOrderExecutionService(uow, bus, signatures),
    review: new WorkOrderReviewService(uow, bus, signatures),
    genealogy: new GenealogyService(),
    deviations: new DeviationService(uow, bus),
    alerts: new AlertService(uow, feed, alertEscalateAfterSeconds),
    oee: new OeeService(uow, feed),
    scheduling,
    schedulingPlan: new SchedulingPlanService(uow, feed),
    schedulingResources: new SchedulingResourcesService(uow),
    sequencing: new LineSequencing(uow, scheduling),
    signals: new SignalService(bus, feed, uow),
    flows: new FlowStore(db, relay, bus.subjects, flowPolicy),
    audit: new AuditService(),
    batchRecords: new BatchRecordService(uow),
    connectors: new ConnectorService(uow, feed, registry, connectorSecrets, hubEvents),
    connectorLedger: new ConnectorLedger(db, uow, bus.subjects),
    connectorSecrets,
    hubEvents,
  };
}
export type Services = ReturnType<typeof createServices>;
