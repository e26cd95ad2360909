// @plantgraph/connector-sparkplug: Sparkplug B edge nodes (and UMH topics) to equipment signals. Light
// to import: mqtt and protobufjs load when a stream first opens (or `loadCodec` is called).

export { sparkplugConnector } from './connector.js';
export {
  validateMapping,
  groupsOf,
  RUN_STATES,
  type EquipmentMapping,
  type MappingIssue,
  type MappingValidation,
  type MetricMapping,
  type RunState,
  type SparkplugMapping,
  type StateCode,
} from './mapping.js';
export {
  loadCodec,
  DataType,
  type MetricValue,
  type PayloadCodec,
  type SparkplugMetric,
  type SparkplugPayload,
} from './codec.js';
export { SparkplugHost, parseTopic, NAMESPACE, REBIRTH_METRIC, type HostStats } from './host.js';
export { SignalMapper, type SignalInput, type MapperStats } from './signals.js';
export { parseUmhTopic, umhSubscription } from './umh.js';
