/** The connection contract shared by the PlantGraph nodes and a hub, and the remote connection. */
export { SIGNAL_KINDS, signalKindEnumValue } from './hub-connection.js';
export type { EmbeddedHub, GraphQLResponse, HubConnection, HubEvent, SignalBody, SignalKind } from './hub-connection.js';
export { createRemoteConnection, RemoteHubConnection, type RemoteConnectionOptions } from './remote-connection.js';
