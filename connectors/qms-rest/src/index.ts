// @plantgraph/connector-qms-rest: a QMS connector over the neutral REST API its README documents.

export { qmsRestConnector, DEFAULT_KINDS } from './connector.js';
export * from './client.js';
export { DECISIONS, dispositionReference, ncReference, pollQms } from './records.js';
