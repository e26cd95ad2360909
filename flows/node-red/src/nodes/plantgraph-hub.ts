/**
 * `plantgraph-hub`: the connection to a hub, shared by every node that uses this config node.
 * Embedded: the hub that runs this Node-RED hands it over in the setting `plantgraph`.
 * Remote: a hub's URL and an API key (a credential, never exported with the flow).
 */
import type { EmbeddedHub, HubConnection } from '../hub-connection.js';
import { createRemoteConnection } from '../remote-connection.js';
import type { Node, NodeAPI, NodeConfig } from './red.js';

export interface HubConfigNode extends Node {
  mode: 'embedded' | 'remote';
  /** The shared connection, opened on first use; throws with what to fix when it cannot be. */
  connection(): HubConnection;
  /** What the hub is, for status texts. */
  describe(): string;
}

interface HubNodeConfig extends NodeConfig {
  mode?: string;
  url?: string;
}

export = function register(RED: NodeAPI): void {
  function PlantGraphHubNode(this: HubConfigNode, config: HubNodeConfig) {
    RED.nodes.createNode(this, config);
    this.mode = config.mode === 'remote' ? 'remote' : 'embedded';
    let connection: HubConnection | null = null;

    this.connection = () => {
      if (connection) return connection;
      if (this.mode === 'embedded') {
        const hub = RED.settings.plantgraph as EmbeddedHub | undefined;
        if (!hub || typeof hub.connect !== 'function') {
          throw new Error(
            'no embedded PlantGraph hub: this Node-RED does not run inside a hub (setting "plantgraph" is missing); set the hub node to Remote with URL and API key',
          );
        }
        connection = hub.connect();
      } else {
        const apiKey = this.credentials?.apiKey;
        if (!config.url) throw new Error('remote hub: set the hub URL, e.g. http://hub:4000');
        if (!apiKey) throw new Error("remote hub: set an API key (create one with the hub's createApiKey mutation)");
        connection = createRemoteConnection({ url: config.url, apiKey });
      }
      return connection;
    };
    this.describe = () =>
      this.mode === 'embedded'
        ? `embedded${(RED.settings.plantgraph as EmbeddedHub | undefined)?.plant ? ` (${(RED.settings.plantgraph as EmbeddedHub).plant})` : ''}`
        : String(config.url);

    this.on('close', (_removed, done) => {
      const closing = connection;
      connection = null;
      if (!closing) return done();
      closing
        .close()
        .catch((err: unknown) => this.warn(`closing the hub connection: ${String(err)}`))
        .finally(done);
    });
  }

  RED.nodes.registerType('plantgraph-hub', PlantGraphHubNode, {
    credentials: { apiKey: { type: 'password' } },
    // Lets the editor preselect Embedded when this Node-RED runs inside a hub.
    settings: { plantgraphHubEmbedded: { value: !!RED.settings.plantgraph, exportable: true } },
  });
};
