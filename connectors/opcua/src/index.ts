// @plantgraph/connector-opcua: machine signals from an OPC UA server's monitored items. No hub imports:
// the connector runtime opens its stream and gives it the hub's public API. node-opcua is loaded on
// first use, so a hub without an OPC UA instance does not load it.

export { opcUaConnector } from './connector.js';
export { Forwarder, type ForwarderOptions, MAX_BATCH } from './forwarder.js';
export * from './mapping.js';
export { ItemSignals, sourceOf, type Change, type EquipmentSignal, type ItemMemory } from './signals.js';
