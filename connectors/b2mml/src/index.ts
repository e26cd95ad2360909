export { b2mmlConnector, b2mmlConnector as default, deliverPerformance } from './connector.js';
export { type DocumentResult, handleDocument, importSchedules, showMasterData } from './documents.js';
export { equipmentIn, equipmentOut, type HubEquipment, importEquipment, readHubEquipment } from './equipment.js';
export {
  type HubMaterialDefinition,
  type HubMaterialLot,
  importMaterialDefinitions,
  importMaterialLots,
  materialDefinitionOut,
  materialDefinitionsIn,
  materialLotOut,
  materialLotsIn,
  readHubMaterialDefinitions,
  readHubMaterialLots,
} from './material.js';
export { type CompletedOrder, performanceDocument, type ProducedLot, requestIdOf } from './performance.js';
export { EXTERNAL_REFERENCE_PREFIX, mapRequest, readSchedules, type WorkOrderDraft } from './schedule.js';
export { describeProblems, SCHEMA_PATH, type SchemaCheck, validateDocument } from './validate.js';
export { B2MML_NAMESPACE, B2MML_RELEASE, children, parseDocument, text, writeDocument } from './xml.js';
