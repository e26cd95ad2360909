// @plantgraph/connector-sap-s4hana: the SAP side of the ERP loop. No hub imports: the connector runtime
// wires these functions to jobs, the delivery ledger and the hub's public API.

export { SapS4HanaClient, type ConnectionCheck, type SapClientOptions } from './client.js';
export * from './confirmations.js';
export * from './production-orders.js';
export { externalConfirmationId, isUuid, CONFIRMATION_KEY_NAMESPACE } from './idempotency.js';

export * from './odata/batch.js';
export { CookieJar } from './odata/cookie-jar.js';
export * from './odata/errors.js';
export {
  ODataTransport,
  type ODataRequest,
  type ODataTransportOptions,
  type SapCredentials,
  type TransportCounters,
} from './odata/transport.js';
export type { HttpResponse } from './odata/http.js';
export * from './odata/values.js';

export * from './mapping/types.js';
export {
  validateMapping,
  parseMapping,
  MappingError,
  MAPPING_SCHEMA,
  type MappingValidation,
} from './mapping/validate.js';
export * from './mapping/order-to-draft.js';
export * from './mapping/completion-to-confirmation.js';
export { fromLocal, toLocal } from './mapping/time.js';

export { sapS4HanaConnector, EXTERNAL_REFERENCE_PREFIX } from './connector.js';
