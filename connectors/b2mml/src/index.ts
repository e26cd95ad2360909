export { b2mmlConnector, b2mmlConnector as default, deliverPerformance, documentName } from './connector.js';
export {
  type ClassNoun,
  type ClassRecord,
  classesIn,
  classOut,
  type HubClass,
  importClasses,
  readHubClasses,
} from './classes.js';
export { type DocumentResult, handleDocument, showMasterData } from './documents.js';
export { importSchedules } from './schedule-import.js';
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
