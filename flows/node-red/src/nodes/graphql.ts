/** `plantgraph-graphql`: runs a query or mutation against the hub; variables from a message property. */
import { errorMessage, hubConnection, short, type Node, type NodeAPI, type NodeConfig } from './red.js';

interface GraphQLNodeConfig extends NodeConfig {
  hub: string;
  query?: string;
  variables?: string;
}

export = function register(RED: NodeAPI): void {
  function GraphQLNode(this: Node, config: GraphQLNodeConfig) {
    RED.nodes.createNode(this, config);
    const property = config.variables?.trim() || 'payload';
    let calls = 0;

    this.on('input', async (msg, send, done) => {
      try {
        const query = config.query?.trim() || (typeof msg.query === 'string' ? msg.query : '');
        if (!query) throw new Error('no GraphQL operation: write one in the node or send msg.query');
        let raw = RED.util.getMessageProperty(msg, property);
        const isObject = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
        // A payload that is no object (an inject's timestamp, a sensor value) is what triggered the
        // operation, not its variables; a property set for variables must hold them.
        if (!isObject && property === 'payload') raw = undefined;
        if (raw !== undefined && raw !== null && !isObject) {
          throw new Error(
            `variables must be an object in msg.${property} (got ${Array.isArray(raw) ? 'an array' : typeof raw})`,
          );
        }
        this.status({ fill: 'blue', shape: 'ring', text: 'running' });
        const result = await hubConnection(RED, config.hub).graphql(
          query,
          (raw as Record<string, unknown> | undefined) ?? undefined,
        );
        if (result.errors?.length) throw new Error(`GraphQL: ${result.errors.map((e) => e.message).join('; ')}`);
        calls++;
        msg.payload = result.data ?? null;
        this.status({ fill: 'green', shape: 'dot', text: `${calls} done` });
        send(msg);
        done();
      } catch (err) {
        this.status({ fill: 'red', shape: 'ring', text: short(errorMessage(err)) });
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  RED.nodes.registerType('plantgraph-graphql', GraphQLNode);
};
