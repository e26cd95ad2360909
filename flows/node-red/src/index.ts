/** The connection contract shared by the PlantGraph nodes and a hub, the operations both connections run, and the remote connection. */
export { SIGNAL_KINDS, signalKindEnumValue } from './hub-connection.js';
export type {
  EmbeddedHub,
  GraphQLResponse,
  HubConnection,
  HubEvent,
  SignalBody,
  SignalKind,
} from './hub-connection.js';
export { publishFlowEvent, SignalBatcher, type RunGraphQL, type SignalBatchOptions } from './hub-operations.js';
export { createRemoteConnection, RemoteHubConnection, type RemoteConnectionOptions } from './remote-connection.js';
