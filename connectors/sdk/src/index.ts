// @plantgraph/connector-sdk: the contract between a connector package and the hub's connector host.
// Connectors import only this package (and their own dependencies), never the hub.

export * from './definition.js';
export * from './errors.js';
export * from './hub-client.js';
export * from './settings.js';
export * from './rest.js';
export * from './unknown-outcome.js';
