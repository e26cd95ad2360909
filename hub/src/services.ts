import type { Database } from './infrastructure/database/database.js';
import type { MessageBus } from './infrastructure/bus/message-bus.js';
import { UnitOfWork } from './modules/shared/unit-of-work.js';
import { EquipmentService } from './modules/equipment/equipment.service.js';
import { EquipmentClassService } from './modules/equipment/equipment-class.service.js';
import { MaterialService } from './modules/material/material.service.js';
import { PersonnelService } from './modules/personnel/personnel.service.js';
import { ProductDefinitionService } from './modules/product-definition/product-definition.service.js';
import { WorkOrderService } from './modules/work-order/work-order.service.js';
import { WorkOrderLifecycleService } from './modules/work-order/work-order-lifecycle.service.js';
import { ApiKeyService } from './auth/api-keys.js';

/** The domain services of one hub, built once at start and handed to resolvers via the context. */
export function createServices(db: Database, bus: MessageBus) {
  const uow = new UnitOfWork(db, bus);
  return {
    uow,
    equipment: new EquipmentService(uow, bus),
    equipmentClass: new EquipmentClassService(uow),
    material: new MaterialService(uow),
    personnel: new PersonnelService(uow),
    productDefinition: new ProductDefinitionService(uow),
    workOrder: new WorkOrderService(uow, bus),
    workOrderLifecycle: new WorkOrderLifecycleService(uow, bus),
    apiKeys: new ApiKeyService(db, uow),
  };
}
export type Services = ReturnType<typeof createServices>;
