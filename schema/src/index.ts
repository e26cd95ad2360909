import 'reflect-metadata';
import { AuditRecord } from './audit/audit-record.entity.js';
import { ApiKey } from './auth/api-key.entity.js';
import { OpcuaUserCertificate } from './auth/opcua-user-certificate.entity.js';
import { OpcuaApplicationCertificate } from './auth/opcua-application-certificate.entity.js';
import { Equipment } from './equipment/equipment.entity.js';
import { EquipmentClass } from './equipment/equipment-class.entity.js';
import { EquipmentStateChange } from './equipment/equipment-state-change.entity.js';
import { EquipmentConditionRecord } from './equipment/equipment-condition-record.entity.js';
import { ProductionCount } from './equipment/production-count.entity.js';
import { ProcessValue } from './equipment/process-value.entity.js';
import { ShiftCalendar } from './equipment/shift-calendar.entity.js';
import { MaterialClass, MaterialDefinition, MaterialLot, MaterialSublot } from './material/material.entities.js';
import { Person, PersonnelClass, Qualification } from './personnel/personnel.entities.js';
import { ProductDefinition, ProductDefinitionVersion } from './product-definition/product-definition.entities.js';
import { WorkOrder } from './work-order/work-order.entities.js';
import { MaterialReservation } from './work-order/material-reservation.entity.js';
import { Deviation, ElectronicSignature, LotGenealogy, StepRecord } from './work-order/execution.entities.js';
import { Alert } from './alert/alert.entity.js';
import { MaintenanceOrder } from './equipment/maintenance-order.js';
import { AffectedOrder, Redline } from './product-definition/redline.js';
import { CampaignBatch } from './work-order/campaign.js';
import {
  ChangeoverRule,
  PlannedDowntime,
  ProductSchedulingProfile,
  ScheduleEntry,
} from './scheduling/scheduling.entities.js';
import { PlannedReceipt, ShiftAssignment } from './scheduling/scheduling.resources.js';
import { ConnectorDelivery, ConnectorImport, ConnectorInstance } from './connector/connector.entities.js';

export * from './auth/access.js';
export * from './auth/api-key.entity.js';
export * from './auth/opcua-user-certificate.entity.js';
export * from './auth/opcua-application-certificate.entity.js';
export * from './common/connection.js';
export * from './common/errors.js';
export * from './common/identified.js';
export * from './common/properties.js';
export * from './audit/audit-record.entity.js';
export * from './equipment/equipment-level.js';
export * from './equipment/equipment-state.js';
export * from './equipment/equipment-condition.js';
export * from './equipment/equipment-condition-record.entity.js';
export * from './equipment/equipment.entity.js';
export * from './equipment/equipment-class.entity.js';
export * from './equipment/equipment-state-change.entity.js';
export * from './equipment/production-count.entity.js';
export * from './equipment/process-value.entity.js';
export * from './equipment/shift-calendar.entity.js';
export * from './equipment/equipment.inputs.js';
export * from './equipment/equipment.results.js';
export * from './equipment/industry-profile.js';
export * from './equipment/maintenance-order.js';
export * from './product-definition/redline.js';
export * from './work-order/campaign.js';
export * from './material/material.entities.js';
export * from './material/material.inputs.js';
export * from './material/material.results.js';
export * from './personnel/personnel.entities.js';
export * from './personnel/personnel.inputs.js';
export * from './personnel/personnel.results.js';
export * from './product-definition/product-segment.js';
export * from './product-definition/product-definition.entities.js';
export * from './product-definition/product-definition.inputs.js';
export * from './product-definition/product-definition.results.js';
export * from './work-order/work-order.entities.js';
export * from './work-order/work-order.inputs.js';
export * from './work-order/work-order.results.js';
export * from './work-order/work-order-lifecycle.js';
export * from './work-order/master-record-snapshot.js';
export * from './work-order/material-reservation.entity.js';
export * from './work-order/execution.entities.js';
export * from './alert/alert.entity.js';
export * from './scheduling/scheduling.entities.js';
export * from './scheduling/scheduling.inputs.js';
export * from './scheduling/scheduling.results.js';
export * from './scheduling/scheduling.resources.js';
export * from './connector/connector.entities.js';
export * from './connector/connector.inputs.js';

/** Every stored entity of the model, for the ORM. */
export const entities = [
  ApiKey,
  OpcuaUserCertificate,
  OpcuaApplicationCertificate,
  AuditRecord,
  Equipment,
  EquipmentClass,
  EquipmentStateChange,
  EquipmentConditionRecord,
  ProductionCount,
  ProcessValue,
  ShiftCalendar,
  MaterialClass,
  MaterialDefinition,
  MaterialLot,
  MaterialSublot,
  PersonnelClass,
  Person,
  Qualification,
  ProductDefinition,
  ProductDefinitionVersion,
  WorkOrder,
  MaterialReservation,
  StepRecord,
  Deviation,
  LotGenealogy,
  ElectronicSignature,
  Alert,
  ConnectorInstance,
  ConnectorDelivery,
  ConnectorImport,
  MaintenanceOrder,
  Redline,
  AffectedOrder,
  CampaignBatch,
  ScheduleEntry,
  ChangeoverRule,
  ProductSchedulingProfile,
  PlannedDowntime,
  PlannedReceipt,
  ShiftAssignment,
];
