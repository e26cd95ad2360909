// @plantgraph/connector-cmms-maintainx: the maintenance side of the plant. No hub imports: the connector
// runtime wires these functions to jobs, the delivery ledger and the hub's public API.

export { MaintainXClient, type MaintainXClientOptions, type MaintainXWorkOrder } from './client.js';
export { conditionReference, importWorkOrder, pollWorkOrders } from './conditions.js';
export * from './mapping.js';
export { deliverStateChange } from './state-changes.js';
export { alertToWorkRequest, sendWorkRequest } from './work-requests.js';
export {
  importById,
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_S,
  signatureProblem,
  signWebhook,
  webhookEndpoint,
  workOrderIdOf,
} from './webhooks.js';
export { maintainXConnector } from './connector.js';
